// One subscription: its frame, the last answer it delivered, and its two ways out (callback and async iterator).
// It asks for push deltas and applies them to the data it holds, so consumers always get whole answers.
import { applyDelta, type Delta } from '../../shared/delta.ts';
import { encode } from '../../shared/protocol.ts';
import type { Meta, SubFrame } from '../../shared/protocol.ts';
import type { Kind, ParamsOf, ResultOf } from '../../shared/kinds.ts';
import { Channel } from './channel.ts';

/** `kind` says how the update came: the answer to (re)subscribing, or a push after new data. */
export interface Update<K extends Kind> {
  kind: 'result' | 'push';
  data: ResultOf[K];
  meta: Meta;
}

export interface SubscriptionHandlers<K extends Kind> {
  onUpdate?: (update: Update<K>) => void;
  /** The server refused the subscription (bad params, unknown kind); it is over. */
  onError?: (error: Error) => void;
}

export class Subscription<K extends Kind> implements AsyncIterable<Update<K>> {
  /** The newest update delivered, if any. */
  latest: Update<K> | undefined;
  /** Transient refusals in a row (overloaded, rate limited), for the retry backoff. */
  retries = 0;
  private channel: Channel<Update<K>> | undefined;
  private resync = false;
  private done = false;
  private error: Error | undefined;

  constructor(
    readonly id: number,
    readonly name: K,
    readonly params: Partial<ParamsOf<K>>,
    private readonly handlers: SubscriptionHandlers<K>,
    private readonly stop: (sub: Subscription<K>) => void,
  ) {
    // Without a callback the iterator is the only consumer: buffer from the start so the first answer is not missed.
    if (!handlers.onUpdate) this.channel = new Channel(256, () => this.stop(this));
  }

  /** Waiting for the answer to a resend (a reconnect, or a delta that did not fit what is held). */
  get resyncing(): boolean {
    return this.resync;
  }

  /** The frame to send; on a resend, `since` carries the watermark already held (an alerts stream: its cursor). */
  frame(resend = false): SubFrame {
    this.resync = resend && this.latest !== undefined;
    const frame: SubFrame = {
      t: 'sub',
      id: this.id,
      kind: this.name,
      params: this.params as Record<string, unknown>,
      delta: true,
    };
    if (resend && this.latest) frame.since = sinceOf(this.name, this.latest);
    return frame;
  }

  deliver(update: Update<K>): void {
    if (this.done) return;
    const resent = this.resync && update.kind === 'result';
    if (resent) this.resync = false;
    // After a reconnect the server answers again at once; when nothing changed meanwhile, that answer is one the
    // consumer already has, so it is not delivered twice. For a moment after a new interval is pushed, requests are
    // still answered at the previous one (the server computes its hot questions first) and the server sends the
    // newer answer right after: don't step back. Pushes get the same two checks: a socket that failed over to
    // another replica may find it an interval behind, and that replica then pushes, whole, the interval the
    // consumer already has (a revision keeps its watermark but changes the answer, so it still goes through).
    // An alerts stream is not an answer: the server sends each event once after the cursor it was given, whatever
    // its watermark (a replica an interval behind still sends a notice it has), so nothing is dropped here.
    if (this.name !== 'alerts' && (resent || update.kind === 'push') && this.latest && isBehind(update, this.latest))
      return;
    this.retries = 0;
    this.latest = update;
    this.handlers.onUpdate?.(update);
    this.channel?.push(update);
  }

  /**
   * A push carrying a delta: delivered as a whole answer when `base` is the watermark of the data held and the delta
   * fits it. False when it does not (nothing is delivered): the caller asks for the whole answer again.
   */
  deliverDelta(base: string, delta: Delta, meta: Meta): boolean {
    if (this.done) return true;
    const held = this.latest;
    if (!held || held.meta.watermark !== base) return false;
    let data: ResultOf[K];
    try {
      data = applyDelta(held.data, delta) as ResultOf[K];
    } catch {
      return false; // a delta that does not fit the data held: the whole answer replaces both
    }
    this.deliver({ kind: 'push', data, meta });
    return true;
  }

  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.handlers.onError?.(error);
    this.channel?.fail(error);
  }

  finish(): void {
    this.done = true;
    this.channel?.end();
  }

  /** Stops the subscription (same as client.unsub). */
  close(): void {
    this.stop(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<Update<K>> {
    if (!this.channel) {
      this.channel = new Channel(256, () => this.stop(this));
      if (this.error) this.channel.fail(this.error);
      else if (this.done) this.channel.end();
    }
    return this.channel;
  }
}

/**
 * What the server is told the subscription holds: an `alerts` stream's cursor (a function of the events, the same on
 * every replica: any of them replays the events after it), any other kind's watermark.
 */
function sinceOf(kind: Kind, held: Update<Kind>): string {
  return kind === 'alerts' ? String((held.data as ResultOf['alerts']).cursor) : held.meta.watermark;
}

/** `update` is older than `held`, or the very answer it is. */
function isBehind(update: Update<Kind>, held: Update<Kind>): boolean {
  return update.meta.watermark < held.meta.watermark || sameAnswer(held, update);
}

function sameAnswer(a: Update<Kind>, b: Update<Kind>): boolean {
  if (a.meta.watermark !== b.meta.watermark) return false;
  const x = encode(a.data);
  const y = encode(b.data);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
