// Frames in, frames out: rate limit (every frame, decodable or not) → decode as plain msgpack within the client
// frame limits (shared/protocol.ts) → check the frame → validate params (shared/kinds.ts) → answer → send. Every
// failure becomes one error frame in exactly one place (fail), and the socket stays usable.
import { isKind, validateParams, type Kind, type ParamsOf } from '../shared/kinds.ts';
import { PlainMsgpackError } from '../shared/msgpack-plain.ts';
import {
  CLIENT_FRAME_LIMITS,
  decode,
  encode,
  MAX_ID_LENGTH,
  type ErrorFrame,
  type RequestId,
} from '../shared/protocol.ts';
import { queryOf } from './cache/key.ts';
import { sentNowFrame, type Answerer } from './answer.ts';
import { badFrame, badParams, badRequest, logFailure, rateLimited, tooLarge, unknownKind } from './errors.ts';
import { takeToken, type RateLimit } from './limiter.ts';
import { metrics } from './metrics.ts';
import type { AlertHub } from './alerts/hub.ts';
import type { AlertRule } from '../shared/kinds/alerts.ts';
import type { Pusher, Subscription } from './pusher.ts';
import type { Session } from './session.ts';

export interface RouterOptions {
  answerer: Answerer;
  pusher: Pusher;
  rate: RateLimit;
  /** Frames longer than this get `too_large` and the socket is closed (uWS itself cuts off far larger ones). */
  maxFrameBytes: number;
  maxSubscriptions: number;
  /** `alerts` subscriptions. */
  alerts: AlertHub;
}

/** Close code for a frame over the size limit (RFC 6455 "message too big"). */
export const CLOSE_TOO_LARGE = 1009;

type Frame = Record<string, unknown>;
const framesIn = metrics.wsMessages.labels({ direction: 'in' });

export class Router {
  /** One error for every refused frame: a flood is exactly when a new Error (and its stack) per frame costs most. */
  private readonly rateLimited: Error;

  constructor(private readonly o: RouterOptions) {
    this.rateLimited = rateLimited(`over ${o.rate.perSecond} frames per second; slow down`);
  }

  /** Handles one incoming frame. Synchronous up to the answer; `bytes` may be reused after it returns. */
  onMessage(session: Session, bytes: Uint8Array, isBinary: boolean): void {
    framesIn.inc();
    let id: RequestId | undefined;
    try {
      if (bytes.byteLength > this.o.maxFrameBytes) {
        this.fail(
          session,
          tooLarge(`frame of ${bytes.byteLength} bytes is over the ${this.o.maxFrameBytes}-byte limit; closing`),
        );
        session.end(CLOSE_TOO_LARGE, 'frame too large');
        return;
      }
      // Every frame costs a token, one that does not decode too. A refused frame is still read (a bounded cost) for
      // its id, so the client learns which request was refused.
      const allowed = takeToken(session.bucket, this.o.rate);
      let frame: Frame;
      try {
        frame = decodeFrame(bytes, isBinary);
        id = frameId(frame);
      } catch (err) {
        throw allowed ? err : this.rateLimited;
      }
      if (!allowed) throw this.rateLimited;
      this.dispatch(session, frame, id);
    } catch (err) {
      this.fail(session, err, id);
    }
  }

  private dispatch(session: Session, frame: Frame, id: RequestId | undefined): void {
    const t = frame.t;
    if (t === 'unsub') {
      if (id === undefined) throw badRequest('unsub needs the id of the subscription');
      const sub = this.o.pusher.subscription(session, idKey(id));
      if (sub) this.o.pusher.remove(session, sub);
      this.o.alerts.remove(session, idKey(id));
      return;
    }
    if (t !== 'query' && t !== 'sub')
      throw badRequest(`unknown frame type ${describe(t)}; expected query, sub or unsub`);
    if (id === undefined)
      throw badRequest(`${t} needs an id: a number or a string of at most ${MAX_ID_LENGTH} characters`);
    const { kind, params } = checkQuery(frame);
    if (t === 'query') return this.query(session, id, kind, params);
    if (frame.delta !== undefined && typeof frame.delta !== 'boolean')
      throw badRequest(`delta must be true or false, not ${describe(frame.delta)}`);
    if (kind === 'alerts') return this.subscribeAlerts(session, id, (params as ParamsOf<'alerts'>).rules, frame.since);
    this.subscribe(session, id, kind, params, frame.delta === true);
  }

  private query(session: Session, id: RequestId, kind: Kind, params: ParamsOf<Kind>): void {
    this.o.answerer
      .answer(kind, params, session)
      .then((answer) => session.send(sentNowFrame('result', id, kind, answer)))
      .catch((err: unknown) => this.fail(session, err, id));
  }

  private subscribe(session: Session, id: RequestId, kind: Kind, params: ParamsOf<Kind>, delta: boolean): void {
    const key = idKey(id);
    const previous = this.o.pusher.subscription(session, key);
    if (previous)
      this.o.pusher.remove(session, previous); // the same id again replaces its subscription
    else if (!this.o.alerts.remove(session, key)) this.checkRoom(session);
    const query = queryOf(kind, params);
    const sub: Subscription = {
      id,
      idKey: key,
      kind,
      params,
      query,
      topic: `${query}#${key}`,
      live: false,
      delta,
      held: undefined,
    };
    this.o.pusher.add(session, sub);
    if (kind.startsWith('tab.')) session.view = { kind, params };
    this.o.answerer
      .answer(kind, params, session)
      .then((answer) => {
        if (this.o.pusher.subscription(session, key) !== sub) return; // unsubscribed or replaced while computing
        if (session.send(sentNowFrame('result', id, kind, answer)) && delta) sub.held = answer;
        this.o.pusher.goLive(session, sub, answer);
      })
      .catch((err: unknown) => {
        if (this.o.pusher.subscription(session, key) === sub) this.o.pusher.remove(session, sub);
        this.fail(session, err, id);
      });
  }

  /** An `alerts` subscription: a stream of events, replayed from `since` (server/alerts/hub.ts). */
  private subscribeAlerts(session: Session, id: RequestId, rules: AlertRule[], since: unknown): void {
    const hub = this.o.alerts;
    const key = idKey(id);
    const previous = this.o.pusher.subscription(session, key);
    if (!previous && !hub.has(session, key)) this.checkRoom(session);
    // A refused one (a bad since, a replay it cannot afford) leaves the subscription under this id, as bad params do.
    hub.subscribe(session, id, key, rules, since, () => {
      if (previous) this.o.pusher.remove(session, previous);
    });
  }

  private checkRoom(session: Session): void {
    const n = this.o.pusher.subscriptionsOf(session).size + this.o.alerts.countOf(session);
    if (n >= this.o.maxSubscriptions)
      throw badRequest(`at most ${this.o.maxSubscriptions} subscriptions per socket; unsub some first`);
  }

  /** The one place a failure becomes an error frame. */
  private fail(session: Session, err: unknown, id?: RequestId): void {
    // A closed session gets nothing; an open one always gets an answer, even if some other session's closing
    // failed its question (which would be a bug: joiners are handed the work, server/flight.ts and compose).
    if (session.closed) return;
    const { code, message } = logFailure(session.log, err, 'request failed');
    metrics.errors.inc({ code });
    const frame: ErrorFrame = id === undefined ? { t: 'error', code, message } : { t: 'error', id, code, message };
    session.send(encode(frame));
  }
}

function decodeFrame(bytes: Uint8Array, isBinary: boolean): Frame {
  if (!isBinary) throw badFrame('frames must be binary msgpack, not text');
  let value: unknown;
  try {
    value = decode(bytes, CLIENT_FRAME_LIMITS);
  } catch (err) {
    const problem = err instanceof PlainMsgpackError ? err.problem : 'malformed';
    if (problem === 'too_deep') throw badRequest(`frame nests more than ${CLIENT_FRAME_LIMITS.maxDepth} levels deep`);
    if (problem === 'too_many') throw badRequest(`frame holds more than ${CLIENT_FRAME_LIMITS.maxValues} values`);
    throw badFrame(`not a msgpack value: ${(err as Error).message.slice(0, 120)}`);
  }
  if (!isPlain(value)) throw badRequest('a frame must be a msgpack map such as {t:"query", id, kind, params}');
  return value;
}

/** The request id, when it is a valid one (only a valid id is ever echoed back). */
function frameId(frame: Frame): RequestId | undefined {
  const id = frame.id;
  if (id === undefined) return undefined;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  if (typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH) return id;
  throw badRequest(`id must be a whole number or a string of 1 to ${MAX_ID_LENGTH} characters`);
}

function checkQuery(frame: Frame): { kind: Kind; params: ParamsOf<Kind> } {
  const kind = frame.kind;
  if (typeof kind !== 'string') throw badRequest('kind must be a string naming a query kind');
  if (!isKind(kind)) throw unknownKind(`unknown kind ${describe(kind)}`);
  const checked = validateParams(kind, frame.params);
  if (!checked.ok) throw badParams(`${kind}: ${checked.message}`);
  return { kind, params: checked.params as ParamsOf<Kind> };
}

function isPlain(value: unknown): value is Frame {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function idKey(id: RequestId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
}
