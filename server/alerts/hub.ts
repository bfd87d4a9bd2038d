// `alerts` subscriptions: unlike other kinds, whose pushes are the whole answer recomputed at each new watermark, an
// alerts subscription is a stream. Its first result replays what it missed (the events after `since`, or the newest
// ones), then each new event its rules match is pushed once, as it is stored ({events, cursor, complete}). All of it
// happens synchronously against the in-memory log (server/alerts/alert-log.ts), so nothing falls between the replay
// and the first push. Subscribers with the same rules and client id share one frame (server/fanout.ts); a socket
// skipped while behind is caught up from its cursor when it drains.
import {
  cursorInterval,
  MIN_CURSOR,
  rulesMatch,
  type AlertEvent,
  type AlertRule,
  type AlertsAnswer,
} from '../../shared/kinds/alerts.ts';
import { encode, type RequestId } from '../../shared/protocol.ts';
import { canonicalJson } from '../cache/key.ts';
import { badRequest, rateLimited } from '../errors.ts';
import { Fanout, type Delivery, type Plan } from '../fanout.ts';
import type { Market } from '../market.ts';
import { takeToken, type RateLimit } from '../limiter.ts';
import type { Logger } from '../log.ts';
import { metrics } from '../metrics.ts';
import type { Session } from '../session.ts';
import { NEWEST_SCAN, newestMatching, type AlertSource } from './event-ring.ts';

/** A replay sends at most this many events (the newest); `complete` is false when it left some out. */
const MAX_REPLAY = 1000;
/**
 * A cursor at most this far (s) past our newest interval is another replica's that is ahead of this one: nothing is
 * replayed, and events up to it are not sent again as they come. Further ahead it is foreign (a rebuilt store).
 */
const AHEAD_S = 3600;
/**
 * Rule checks a replay makes per rate-limit token it costs: a replay over the whole ring with 16 rules (~160,000
 * checks, milliseconds of the event loop) costs 16 frames' worth, so a socket re-subscribing with `since` in a loop
 * cannot hold the event loop for other sockets (a reconnecting client pays it once, out of its burst).
 */
const CHECKS_PER_TOKEN = 10_000;
/** Replay and catch-ups a subscription remembers for publishes not yet written (see AlertSub.caught). */
const MAX_CAUGHT = 8;

interface AlertSub {
  id: RequestId;
  idKey: string;
  rules: AlertRule[];
  /** Topic key: the rules and the client id (one frame serves every socket that used both). */
  topic: string;
  /** Every event up to this cursor has been sent to this socket for it (or was before it subscribed). */
  cursor: number;
  /** Events up to this cursor were sent by another replica, one ahead of this (0: none). */
  sentElsewhere: number;
  /**
   * Its replay and catch-ups, oldest first: each sent the events after cursor `from` of every publish up to number
   * `through`. A fan-out of such a publish still to be written sends it only the ones at or before the `from` of the
   * first that covers it (late notices), not the same events twice. One per catch-up, as a later one does not stand
   * for what an earlier one left out (the late notices of a publish queued behind the one being written).
   */
  caught: { through: number; from: number }[];
}

interface Topic {
  id: RequestId;
  rules: AlertRule[];
  subs: Map<Session, AlertSub>;
}

export interface PublishReport {
  /** Sockets written. */
  sent: number;
  /** Sockets skipped because they are behind (caught up when they drain). */
  skipped: number;
  /** Bytes of the frames written. */
  bytes: number;
}

export class AlertHub {
  private readonly bySession = new Map<Session, Map<string, AlertSub>>();
  private readonly topics = new Map<string, Topic>();
  private readonly fanout: Fanout;
  private lastPublish: Promise<PublishReport> = Promise.resolve({ sent: 0, skipped: 0, bytes: 0 });
  /** Publishes so far: each is numbered, so a fan-out under way knows which sockets were caught up meanwhile. */
  private published = 0;
  /** The publish being written (fan-outs go in order: every one before it is written). */
  private writing = 0;

  constructor(
    private readonly source: AlertSource,
    private readonly market: Market,
    private readonly behindBytes: number,
    /** The sockets' frame rate limit, which replays are charged against (none: free). */
    private readonly rate?: RateLimit,
    private readonly log?: Logger,
  ) {
    this.fanout = new Fanout(behindBytes);
    source.onEvents((events) => void this.publish(events));
  }

  /** Subscriptions across sessions. */
  get count(): number {
    let n = 0;
    for (const t of this.topics.values()) n += t.subs.size;
    return n;
  }

  /** A session's alerts subscriptions. */
  countOf(session: Session): number {
    return this.bySession.get(session)?.size ?? 0;
  }

  has(session: Session, idKey: string): boolean {
    return this.bySession.get(session)?.has(idKey) ?? false;
  }

  /**
   * Sends the first result (replay) and registers the subscription; throws bad_request for a malformed `since`, and
   * rate_limited when the socket cannot afford the replay's scan (the subscription under `idKey` is then kept).
   * `since`: the cursor of the last answer or push the client received (decimal digits), from any replica.
   * `replacing`: ends another kind's subscription under `idKey`, once this one is accepted.
   */
  subscribe(
    session: Session,
    id: RequestId,
    idKey: string,
    rules: AlertRule[],
    since: unknown,
    replacing?: () => void,
  ): void {
    const after = parseSince(since);
    const cursor = this.source.cursor;
    // No cursor, or one of another numbering (an older version's, a rebuilt store's): the newest events, and (with
    // a cursor) a word that some may be missing.
    const newest = after === undefined || this.foreign(after);
    const r = newest ? { events: this.source.latest(NEWEST_SCAN), complete: false } : this.source.since(after);
    const cost = Math.floor((r.events.length * Math.max(1, rules.length)) / CHECKS_PER_TOKEN);
    if (this.rate && cost > 0 && !takeToken(session.bucket, this.rate, undefined, cost))
      throw rateLimited(`a replay over ${r.events.length} events costs ${cost} frames of the rate limit; slow down`);
    replacing?.();
    this.remove(session, idKey);
    let answer: AlertsAnswer;
    if (newest) answer = { events: newestMatching(r.events, rules), cursor, complete: after === undefined };
    else if (after >= cursor)
      // Nothing after it here (yet: another replica that is ahead named it): the events after it will come.
      answer = { events: [], cursor: after, complete: true };
    else {
      const matched = r.events.filter((e) => rulesMatch(rules, e));
      answer = {
        events: matched.slice(-MAX_REPLAY),
        cursor,
        complete: r.complete && matched.length <= MAX_REPLAY,
      };
    }
    const topic = `${canonicalJson(rules)}#${idKey}`;
    const sentElsewhere = after !== undefined && after > cursor && !this.foreign(after) ? after : 0;
    // Its replay stands for every publish so far, one still being written too: the client has the events it holds.
    const caught = [{ through: this.published, from: -1 }];
    const sub: AlertSub = { id, idKey, rules, topic, cursor: answer.cursor, sentElsewhere, caught };
    let subs = this.bySession.get(session);
    if (!subs) this.bySession.set(session, (subs = new Map()));
    subs.set(idKey, sub);
    let t = this.topics.get(topic);
    if (!t) this.topics.set(topic, (t = { id, rules, subs: new Map() }));
    t.subs.set(session, sub);
    session.send(this.frame('result', id, answer));
  }

  /** Ends a session's subscription under a client id; false when it has none. */
  remove(session: Session, idKey: string): boolean {
    const subs = this.bySession.get(session);
    const sub = subs?.get(idKey);
    if (!subs || !sub) return false;
    subs.delete(idKey);
    if (subs.size === 0) this.bySession.delete(session);
    const t = this.topics.get(sub.topic);
    t?.subs.delete(session);
    if (t && t.subs.size === 0) this.topics.delete(sub.topic);
    return true;
  }

  dropSession(session: Session): void {
    for (const idKey of [...(this.bySession.get(session)?.keys() ?? [])]) this.remove(session, idKey);
  }

  /**
   * A socket that was behind has drained: send each of its subscriptions what it missed meanwhile, at most MAX_REPLAY
   * events each (as a replay), and stop while it is behind again (the rest follows when it drains).
   */
  drained(session: Session): void {
    if (session.stale || session.closed) return;
    for (const sub of this.bySession.get(session)?.values() ?? []) {
      if (sub.cursor >= this.source.cursor) continue;
      if (session.bufferedAmount() > this.behindBytes) {
        session.stale = true;
        return;
      }
      const r = this.source.since(sub.cursor);
      const matched = r.events.filter((e) => e.seq > sub.sentElsewhere && rulesMatch(sub.rules, e));
      const cursor = this.source.cursor;
      const events = matched.slice(-MAX_REPLAY);
      const complete = r.complete && matched.length <= MAX_REPLAY;
      if (events.length === 0 || session.send(this.frame('push', sub.id, { events, cursor, complete }))) {
        // Late notices (at or before its cursor) of a publish still to be written reach it there; an earlier
        // replay or catch-up still stands for the publishes it covered that are not written yet.
        const caught = sub.caught.filter((c) => c.through >= this.writing);
        caught.push({ through: this.published, from: sub.cursor });
        // Bounded (no publish may be written for a while): two merged send fewer late notices, never one twice.
        if (caught.length > MAX_CAUGHT) caught.splice(0, 2, { through: caught[1].through, from: caught[0].from });
        sub.caught = caught;
        sub.cursor = cursor;
      }
    }
  }

  /** Pushes new events to every subscription whose rules match some; resolves once every socket is written. */
  publish(events: AlertEvent[]): Promise<PublishReport> {
    if (events.length === 0) return this.lastPublish;
    const n = ++this.published;
    const cursor = this.source.cursor;
    const first = Math.min(...events.map((e) => e.seq));
    const sends: Promise<Delivery>[] = [];
    const written: Promise<unknown>[] = []; // and the frames of subscriptions from a replica ahead
    for (const t of this.topics.values()) {
      const matched = events.filter((e) => rulesMatch(t.rules, e));
      if (matched.length === 0) continue;
      const frame = this.frame('push', t.id, { events: matched, cursor, complete: true });
      // Each as its turn comes: one that unsubscribed meanwhile gets nothing, and one whose replay or catch-up (it
      // subscribed again, or drained) held these events gets only those it left out.
      const unsent = (sub: AlertSub) => {
        const caught = sub.caught.find((c) => c.through >= n);
        return caught ? matched.filter((e) => e.seq <= caught.from) : matched;
      };
      // One that came from a replica ahead of this one gets only the events it was not sent there, in a frame of its
      // own when this publish's turn comes (the publishes before it, still queued, may move its cursor past there).
      const ahead = new Set<AlertSub>();
      const findAhead = () => {
        ahead.clear();
        for (const sub of t.subs.values()) if (sub.sentElsewhere >= first) ahead.add(sub);
        return ahead.size > 0;
      };
      if (findAhead())
        written.push(
          this.fanout.atTurn(() => {
            if (findAhead())
              for (const [s, sub] of t.subs) if (ahead.has(sub)) this.sendAfter(s, sub, unsent(sub), cursor);
          }),
        );
      const to = this.recipients(t, n, (sub) => !ahead.has(sub) && unsent(sub).length > 0);
      const plan: Plan<Session> = {
        frameFor: (s) => {
          const left = unsent(t.subs.get(s)!);
          return left === matched ? frame : this.frame('push', t.id, { events: left, cursor, complete: true });
        },
        sent: (s) => {
          const sub = t.subs.get(s);
          if (sub && sub.cursor < cursor) sub.cursor = cursor;
        },
      };
      sends.push(this.fanout.send(plan, to));
    }
    metrics.pushes.inc(sends.length);
    // Settled, never rejected: publish is called and forgotten (onEvents), and one topic's frame that could not be
    // made (memory) must not stop the others' nor end the process as an unhandled rejection.
    this.lastPublish = Promise.allSettled([...sends, ...written]).then((all) => {
      const report: PublishReport = { sent: 0, skipped: 0, bytes: 0 };
      for (const [i, r] of all.entries()) {
        if (r.status === 'rejected')
          this.log?.error({ err: r.reason }, 'alerts: a publish could not be written to some subscriptions');
        else if (i < sends.length) {
          const d = r.value as Delivery;
          report.sent += d.sent;
          report.skipped += d.skipped;
          report.bytes += d.bytes;
        }
      }
      return report;
    });
    return this.lastPublish;
  }

  /** The last publish's delivery (benchmarks and tests wait on it). */
  idle(): Promise<PublishReport> {
    return this.lastPublish;
  }

  /** A topic's sockets for publish `n` as the fan-out comes to them (every publish before it is written by then). */
  private *recipients(t: Topic, n: number, wanted: (sub: AlertSub) => boolean): Generator<Session> {
    this.writing = Math.max(this.writing, n);
    for (const [s, sub] of t.subs) if (wanted(sub)) yield s;
  }

  /** A subscription sent some of `matched` by another replica: the rest, in a frame of its own. */
  private sendAfter(session: Session, sub: AlertSub, matched: AlertEvent[], cursor: number): void {
    if (session.stale) return; // caught up from its cursor when it drains
    const events = matched.filter((e) => e.seq > sub.sentElsewhere);
    const at = Math.max(cursor, sub.sentElsewhere);
    if (events.length > 0 && !session.send(this.frame('push', sub.id, { events, cursor: at, complete: true }))) return;
    sub.cursor = Math.max(sub.cursor, at);
    if (cursor >= sub.sentElsewhere) sub.sentElsewhere = 0;
  }

  /** A cursor not of this numbering, or far ahead of this store's data: not one to replay from. */
  private foreign(after: number): boolean {
    if (after === 0) return false;
    return after < MIN_CURSOR || cursorInterval(after) > this.market.watermark + AHEAD_S;
  }

  private frame(t: 'result' | 'push', id: RequestId, data: AlertsAnswer): Uint8Array {
    // A copy: encode returns a view into msgpackr's reused buffer, and fan-out writes the frame later.
    return new Uint8Array(
      encode({ t, id, kind: 'alerts', data, meta: { cache: 'lru', ms: 0, watermark: this.market.iso } }),
    );
  }
}

/** The `since` of an `alerts` subscription (undefined: none); throws bad_request for anything but a cursor. */
function parseSince(since: unknown): number | undefined {
  if (since === undefined) return undefined;
  if (typeof since !== 'string' || !/^\d{1,16}$/.test(since) || !Number.isSafeInteger(Number(since)))
    throw badRequest('since must be the cursor of the last alerts answer or push (decimal digits)');
  return Number(since);
}
