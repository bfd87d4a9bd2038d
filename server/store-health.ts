// Whether the store (the DuckDB file) still answers, for /healthz and /metrics. DuckDB checks a block's checksum
// when it loads the block from the file, and blocks already in its buffer pool keep answering; so damage shows only
// in the queries that read a damaged block (measured: after blocks in the middle of a running server's file were
// overwritten, `SELECT 1` and a query over cached blocks answered; a query loading a damaged block failed with
// "IO Error: Corrupt database file: computed checksum … in block at location …"). No probe can see that cheaply;
// the store's own queries can. Every DuckDB error on every connection (server/lane.ts) is noted here, and a storage
// failure (IO, FATAL or INTERNAL error, a database DuckDB invalidated) makes the store `degraded` until
// DEGRADED_FOR_MS pass without another. The app's probe connection asks DuckDB something every few seconds while
// /healthz is read (metrics.ts DuckMemoryProbe), so a store that fails every query shows without client traffic.
import type { DuckDBInstance } from '@duckdb/node-api';
import { Counter, Gauge } from 'prom-client';
import { registry } from './metrics.ts';

/**
 * DuckDB's errors that say the file, its disk or the database is unwell (not a bad query, an interrupt or a cap). A
 * full disk fails a commit as "TransactionContext Error: Failed to commit: Could not write file …: No space left…".
 */
const STORAGE_FAILURE =
  /^(IO|FATAL|INTERNAL) Error\b|Corrupt database file|database has been invalidated|No space left on device|Could not write file/i;
/** A failure keeps the store degraded this long: damage does not heal, and a store failing now and then is not ok. */
const DEGRADED_FOR_MS = 10 * 60_000;

export interface StoreState {
  ok: boolean;
  /** The last failure's message (first line), while degraded. */
  reason?: string;
  /** Storage failures since start. */
  failures: number;
}

export class StoreHealth {
  private failures = 0;
  private last: { reason: string; at: number } | undefined;

  /** Notes a failed DuckDB call; anything but a storage failure is ignored. */
  note(err: unknown): void {
    const message = String((err as Error | undefined)?.message ?? err);
    if (!STORAGE_FAILURE.test(message)) return;
    this.failures++;
    failuresTotal.inc();
    this.last = { reason: message.split('\n')[0].slice(0, 300), at: Date.now() };
  }

  get state(): StoreState {
    const degraded = this.last !== undefined && Date.now() - this.last.at < DEGRADED_FOR_MS;
    return degraded
      ? { ok: false, reason: this.last!.reason, failures: this.failures }
      : { ok: true, failures: this.failures };
  }
}

/** One per DuckDB instance (a test process opens several); the gauge reports any of them degraded. */
const healths = new WeakMap<DuckDBInstance, StoreHealth>();
const live = new Set<WeakRef<StoreHealth>>();

export function storeHealth(instance: DuckDBInstance): StoreHealth {
  let h = healths.get(instance);
  if (!h) {
    h = new StoreHealth();
    healths.set(instance, h);
    live.add(new WeakRef(h));
  }
  return h;
}

/** For a lane's failed call: notes it against its instance's health. Returns undefined (a `.catch` handler). */
export function noteStoreError(instance: DuckDBInstance | undefined, err: unknown): undefined {
  if (instance) storeHealth(instance).note(err);
  return undefined;
}

const failuresTotal = new Counter({
  name: 'nemlive_store_failures_total',
  help: 'DuckDB calls that failed with a storage error (a damaged file, an I/O error, an invalidated database)',
  registers: [registry],
});
new Gauge({
  name: 'nemlive_store_degraded',
  help: '1 while the store is degraded (a storage failure in the last 10 minutes; /healthz answers 503 with the reason)',
  registers: [registry],
  collect() {
    let degraded = 0;
    for (const ref of live) {
      const h = ref.deref();
      if (!h) live.delete(ref);
      else if (!h.state.ok) degraded = 1;
    }
    this.set(degraded);
  },
});
