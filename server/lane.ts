// One DuckDB connection and the rule for using it: one query at a time, in order, and closing it only once
// nothing runs (closeSync during a running query hangs the promise forever; measured). A session owns one lane;
// the app keeps a few for work no session asked for (warmup, pushes). Queries reach a lane only once the gate
// (fair-gate.ts) lets them run, so a lane's own queue holds at most its width of them, never a socket's backlog.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { keepStatements } from './catalogue/sql.ts';
import type { ConnHolder } from './conn-holder.ts';
import { SessionClosedError } from './errors.ts';
import { noteStoreError } from './store-health.ts';

export interface LaneHooks {
  /** The connection opened (counted as held). */
  opened?: () => void;
  /** The connection closed (no longer held). */
  released?: () => void;
}

/** While a closing lane's work keeps issuing statements, interrupt each in turn. */
const INTERRUPT_EVERY_MS = 25;

export class ConnLane implements ConnHolder {
  private readonly ready: Promise<DuckDBConnection | undefined>;
  private tail: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private closing: Promise<void> | undefined;
  private connectError: unknown;

  /** Without an instance (a cluster worker: the supervisor owns the store) the lane holds nothing and lends nothing. */
  constructor(
    private readonly instance: DuckDBInstance | undefined,
    private readonly hooks: LaneHooks = {},
  ) {
    if (!instance) {
      this.connectError = new Error('no DuckDB connection in this process: the cluster supervisor answers queries');
      this.ready = Promise.resolve(undefined);
      return;
    }
    this.ready = instance.connect().then(
      (conn) => {
        hooks.opened?.();
        return conn;
      },
      (err: unknown) => {
        this.connectError = err;
        return undefined;
      },
    );
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  withConn<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new SessionClosedError());
    const run = this.tail.then(async () => {
      const conn = await this.ready;
      if (this.closing) throw new SessionClosedError();
      if (!conn) throw this.connectError;
      this.busy++;
      try {
        return await fn(conn);
      } finally {
        this.busy--;
      }
    });
    // Every failure is noted against the store's health (server/store-health.ts: a damaged file shows only here).
    this.tail = run.catch((err: unknown) => noteStoreError(this.instance, err));
    return run;
  }

  /** Interrupts what runs, refuses what waits, then closes the connection. Idempotent; resolves once closed. */
  close(): Promise<void> {
    this.closing ??= this.shut();
    return this.closing;
  }

  private async shut(): Promise<void> {
    const conn = await this.ready;
    if (!conn) return;
    let timer: ReturnType<typeof setInterval> | undefined;
    if (this.busy > 0) {
      conn.interrupt();
      timer = setInterval(() => this.busy > 0 && conn.interrupt(), INTERRUPT_EVERY_MS);
    }
    try {
      await this.tail;
    } finally {
      clearInterval(timer);
      conn.closeSync();
      this.hooks.released?.();
    }
  }
}

/**
 * A few app-owned lanes for work no session asked for; each call goes to the lane with the least queued. Being
 * long-lived and asked the same statements every interval, they keep them prepared (see keepStatements); sessions'
 * lanes do not.
 */
export class LanePool implements ConnHolder {
  readonly background = true;
  private readonly lanes: { lane: ConnLane; pending: number }[];

  constructor(instance: DuckDBInstance | undefined, size: number) {
    this.lanes = Array.from({ length: Math.max(1, size) }, () => ({ lane: new ConnLane(instance), pending: 0 }));
  }

  get closed(): boolean {
    return this.lanes.every((l) => l.lane.closed);
  }

  get width(): number {
    return this.lanes.length;
  }

  async withConn<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const slot = this.lanes.reduce((a, b) => (b.pending < a.pending ? b : a));
    slot.pending++;
    try {
      return await slot.lane.withConn((conn) => {
        keepStatements(conn);
        return fn(conn);
      });
    } finally {
      slot.pending--;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.lane.close()));
  }
}
