// One Session per socket: what the socket owns (its DuckDB connection, rate-limit state, current view, logger).
// Its subscriptions belong to the pusher (server/pusher.ts); a socket's way out is evict in server/socket-server.ts.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Kind, ParamsOf } from '../shared/kinds.ts';
import type { ConnHolder } from './conn-holder.ts';
import type { ConnLane } from './lane.ts';
import { newBucket, type Bucket, type RateLimit } from './limiter.ts';
import type { Logger } from './log.ts';
import { framesOut, metrics } from './metrics.ts';
import type { WebSocket } from './uws.ts';

/** What uWS keeps per socket: only the id; the Session lives in the Sessions map. */
export interface SocketData {
  id: string;
}

/** uWS send() statuses. */
const DROPPED = 2;

export class Session implements ConnHolder {
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
    framesOut.inc();
    return sent;
  }

  /**
   * Sends one frame without corking, for push fan-out loops (which run outside uWS callbacks): a big frame then goes
   * out in one writev straight from `bytes`, and the per-socket cork callback is saved (~15% of a 10,000-socket
   * fan-out, measured). False when it could not be sent. Not counted in the frames sent: the fan-out counts its
   * writes at once.
   */
  sendUncorked(bytes: Uint8Array): boolean {
    if (this.done) return false;
    const status = this.ws.send(bytes, true, false);
    if (status === DROPPED) metrics.backpressureDrops.inc();
    return status !== DROPPED;
  }

  bufferedAmount(): number {
    return this.done ? 0 : this.ws.getBufferedAmount();
  }

  /** Closes the socket; uWS then calls the close handler, which evicts the session (server/socket-server.ts). */
  end(code: number, reason: string): void {
    if (this.done) return;
    this.ws.end(code, reason);
  }

  /**
   * Interrupts a running query and closes the connection; called by the socket's eviction (server/socket-server.ts)
   * only. Idempotent; resolves once the connection is closed. The socket must not be touched after this.
   */
  close(): Promise<void> {
    if (this.done) return this.done;
    this.done = this.lane.close();
    this.done.catch((err: unknown) => this.log.error({ err }, 'closing the DuckDB connection failed'));
    return this.done;
  }
}
