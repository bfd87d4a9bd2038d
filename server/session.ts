// One Session per socket: everything the socket owns (its DuckDB connection, subscriptions, rate-limit state,
// current view, logger) and the one cleanup path, close(). Nothing here is visible to another session.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Kind, ParamsOf } from '../shared/kinds.ts';
import type { RequestId } from '../shared/protocol.ts';
import type { Answer } from './answer.ts';
import type { ConnHolder } from './conn-holder.ts';
import type { ConnLane } from './lane.ts';
import { newBucket, type Bucket, type RateLimit } from './limiter.ts';
import type { Logger } from './log.ts';
import { metrics } from './metrics.ts';
import type { WebSocket } from './uws.ts';

/** What uWS keeps per socket: only the id; the Session lives in the Sessions map. */
export interface SocketData {
  id: string;
}

export interface Subscription {
  id: RequestId;
  /** The id as a map key: 1 and "1" are different ids. */
  idKey: string;
  kind: Kind;
  params: ParamsOf<Kind>;
  /** The question without the watermark (kind + canonical params): subscribers of one query share a group. */
  query: string;
  /** Push group key: one per (query, client id), so one push buffer serves every socket that used the same id. */
  topic: string;
  /** Subscribed to its topic (false until the first result is sent, and while the socket is behind). */
  live: boolean;
  /** The client applies push deltas (it sent `delta: true`). */
  delta: boolean;
  /**
   * For a delta subscription: the answer last written to this socket for it (first result, push or catch-up), so a
   * delta goes only where its base is known to be held; undefined until one was written.
   */
  held: Answer | undefined;
}

/** uWS send() statuses. */
const DROPPED = 2;
const framesOut = metrics.wsMessages.labels({ direction: 'out' });

export class Session implements ConnHolder {
  readonly subs = new Map<string, Subscription>();
  readonly bucket: Bucket;
  readonly openedAt = Date.now();
  /** The tab the client shows (its latest tab subscription), logged when the socket closes. */
  view: { kind: Kind; params: ParamsOf<Kind> } | undefined;
  /** Fell behind on pushes: unsubscribed from its topics until it drains. */
  stale = false;
  private done: Promise<void> | undefined;

  constructor(
    readonly id: string,
    private readonly ws: WebSocket<SocketData>,
    readonly log: Logger,
    private readonly lane: ConnLane,
    rate: RateLimit,
  ) {
    this.bucket = newBucket(rate);
  }

  get closed(): boolean {
    return this.done !== undefined;
  }

  withConn<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.lane.withConn(fn);
  }

  /** Sends one binary frame, corked (most sends come from async continuations). False when it could not be sent. */
  send(bytes: Uint8Array): boolean {
    if (this.done) return false;
    let sent = false;
    this.ws.cork(() => {
      sent = this.sendUncorked(bytes);
    });
    return sent;
  }

  /**
   * Sends one frame without corking, for push fan-out loops (which run outside uWS callbacks): a big frame then goes
   * out in one writev straight from `bytes`, and the per-socket cork callback is saved (~15% of a 10,000-socket
   * fan-out, measured). False when it could not be sent.
   */
  sendUncorked(bytes: Uint8Array): boolean {
    if (this.done) return false;
    const status = this.ws.send(bytes, true, false);
    framesOut.inc();
    if (status === DROPPED) metrics.backpressureDrops.inc();
    return status !== DROPPED;
  }

  bufferedAmount(): number {
    return this.done ? 0 : this.ws.getBufferedAmount();
  }

  /** Closes the socket; uWS then calls the close handler, which calls close(). */
  end(code: number, reason: string): void {
    if (this.done) return;
    this.ws.end(code, reason);
  }

  /**
   * The only cleanup path: drops subscriptions, interrupts a running query and closes the connection. Called by
   * the socket's close handler (clean close, error, timeout, shutdown); idempotent. Resolves once the connection
   * is closed. The socket must not be touched after this.
   */
  close(): Promise<void> {
    if (this.done) return this.done;
    this.done = this.lane.close();
    this.subs.clear();
    this.done.catch((err: unknown) => this.log.error({ err }, 'closing the DuckDB connection failed'));
    return this.done;
  }
}
