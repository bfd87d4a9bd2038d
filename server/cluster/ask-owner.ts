// A worker's socket as the supervisor's fair gate sees it. Workers send their sockets' cache misses to the
// supervisor, which computes them on its own connections; answered as the supervisor's pool (one background owner),
// every socket's questions and the supervisor's own pushes and precompute shared one first-come queue, so one
// socket's backlog delayed everyone's questions and the live feed by tens of seconds (measured, WORKERS=2). Here each
// asking socket is an interactive owner of its own (its own turn, its own cap of open questions) whose queries run on
// the pool's connections.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ConnHolder } from '../conn-holder.ts';

class AskOwner implements ConnHolder {
  readonly background = false;
  readonly width = 1;
  /** The socket left its worker: the gate drops what it still has waiting. */
  gone = false;
  constructor(private readonly pool: ConnHolder) {}
  get closed(): boolean {
    return this.gone || this.pool.closed;
  }
  withConn<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.pool.withConn(fn);
  }
}

/** One owner per (worker, socket) while that socket has questions in progress; forgotten when it has none. */
export class AskOwners {
  private readonly owners = new Map<string, { owner: AskOwner; asks: number }>();

  constructor(private readonly pool: ConnHolder) {}

  /** The socket left: its questions not yet started are refused (SessionClosedError); a running one finishes. */
  close(key: string): void {
    const e = this.owners.get(key);
    if (e) e.owner.gone = true;
  }

  async run<T>(key: string, fn: (owner: ConnHolder) => Promise<T>): Promise<T> {
    let e = this.owners.get(key);
    if (!e) this.owners.set(key, (e = { owner: new AskOwner(this.pool), asks: 0 }));
    e.asks++;
    try {
      return await fn(e.owner);
    } finally {
      if (--e.asks === 0) this.owners.delete(key);
    }
  }
}
