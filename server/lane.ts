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
  /** On close, keep the connection for the next such lane (sessions: see IDLE_MAX) rather than closing it. */
  recycle?: boolean;
}

/** While a closing lane's work keeps issuing statements, interrupt each in turn. */
const INTERRUPT_EVERY_MS = 25;

/**
 * Connections closed lanes left, kept for the next lane: DuckDB's connect and disconnect run on the event loop (~0.3
 * and ~1 ms; a disconnect waited 16–28 ms for DuckDB's locks while an interval's queries ran, measured), and analysts
 * reconnect all day (8 a second in the 1,000-analyst soak). A kept connection holds no statement or state of its
 * lane's: sessions prepare nothing they keep, and a query's failure or interrupt ends with its own transaction.
 */
export const IDLE_MAX = 64;
const idle = new WeakMap<DuckDBInstance, DuckDBConnection[]>();
const closingInstances = new WeakSet<DuckDBInstance>();

/** Closes the connections kept for `instance` and keeps none from now on: before the instance itself closes. */
export function closeIdleConnections(instance: DuckDBInstance): void {
  closingInstances.add(instance);
  for (const conn of idle.get(instance)?.splice(0) ?? []) conn.closeSync();
}

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
    const kept = hooks.recycle ? idle.get(instance)?.pop() : undefined;
    this.ready = (kept ? Promise.resolve(kept) : instance.connect()).then(
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
      this.release(conn);
      this.hooks.released?.();
    }
  }

  /** Keeps the connection for the next recycling lane, or closes it (not recycling, too many kept, shutting down). */
  private release(conn: DuckDBConnection): void {
    const instance = this.instance;
    if (!instance || !this.hooks.recycle || closingInstances.has(instance)) return conn.closeSync();
    let kept = idle.get(instance);
    if (!kept) idle.set(instance, (kept = []));
    if (kept.length < IDLE_MAX) kept.push(conn);
    else conn.closeSync();
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
