// The one Prometheus registry (CONTRACT §2). Other modules import `metrics` to record things; gauges that mirror
// live state (sessions, connections, cache) read it at scrape time through the sources bound by the app.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerCacheMetrics, type CacheGauges } from './cache/metrics.ts';
import type { ConnHolder } from './conn-holder.ts';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export interface LiveSources {
  sessions(): number;
  duckdbConnections(): number;
  subscriptions(): number;
  coldQueries(): { running: number; queued: number };
  cache(): CacheGauges | undefined;
  /** DuckDB's own memory (duckdb_memory()), sampled now; undefined in a process without DuckDB. */
  duckdbMemory?(): Promise<number | undefined>;
}

const none: LiveSources = {
  sessions: () => 0,
  duckdbConnections: () => 0,
  subscriptions: () => 0,
  coldQueries: () => ({ running: 0, queued: 0 }),
  cache: () => undefined,
};
const sources: LiveSources = { ...none };

/**
 * The running app's state, read at scrape time: each part binds what it owns (the core its queries, cache and DuckDB;
 * the socket server its sessions). Returns the function that unbinds those sources.
 */
export function bindSources(live: Partial<LiveSources>): () => void {
  const own = Object.entries(live) as [keyof LiveSources, LiveSources[keyof LiveSources]][];
  for (const [key, fn] of own) Object.assign(sources, { [key]: fn });
  return () => {
    for (const [key, fn] of own) if (sources[key] === fn) Object.assign(sources, { [key]: none[key] });
  };
}

registerCacheMetrics(registry, () => sources.cache());

new Gauge({
  name: 'nemlive_sessions',
  help: 'WebSocket sessions open',
  registers: [registry],
  collect() {
    this.set(sources.sessions());
  },
});
new Gauge({
  name: 'nemlive_duckdb_connections',
  help: 'DuckDB connections held by sessions',
  registers: [registry],
  collect() {
    this.set(sources.duckdbConnections());
  },
});
new Gauge({
  name: 'nemlive_subscriptions',
  help: 'Active subscriptions across sessions',
  registers: [registry],
  collect() {
    this.set(sources.subscriptions());
  },
});
new Gauge({
  name: 'nemlive_duckdb_memory_bytes',
  help: 'Memory DuckDB accounts for (sum of memory_usage_bytes over duckdb_memory()), sampled at scrape',
  registers: [registry],
  async collect() {
    const bytes = await sources.duckdbMemory?.();
    if (bytes !== undefined) this.set(bytes);
  },
});
new Gauge({
  name: 'nemlive_cold_queries',
  help: 'Catalogue queries running and waiting for a slot',
  labelNames: ['state'],
  registers: [registry],
  collect() {
    const q = sources.coldQueries();
    this.set({ state: 'running' }, q.running);
    this.set({ state: 'queued' }, q.queued);
  },
});

export const metrics = {
  wsMessages: new Counter({
    name: 'nemlive_ws_messages_total',
    help: 'WebSocket frames received (in) and sent (out; a publish counts once per subscriber)',
    labelNames: ['direction'] as const,
    registers: [registry],
  }),
  queryDuration: new Histogram({
    name: 'nemlive_query_duration_seconds',
    help: 'Catalogue query time (DuckDB and shaping), by kind',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  errors: new Counter({
    name: 'nemlive_ws_errors_total',
    help: 'Error frames sent, by code',
    labelNames: ['code'] as const,
    registers: [registry],
  }),
  coalesced: new Counter({
    name: 'nemlive_flight_coalesced_total',
    help: 'Requests that joined an identical query already running (single flight)',
    registers: [registry],
  }),
  pushes: new Counter({
    name: 'nemlive_pushes_total',
    help: 'Push frames prepared (one per subscribed question and client id; server/fanout.ts writes each into its sockets)',
    registers: [registry],
  }),
  pushWrites: new Counter({
    name: 'nemlive_push_writes_total',
    help: 'Pushes written into sockets, whole answers (full) or changes to what the socket holds (delta)',
    labelNames: ['form'] as const,
    registers: [registry],
  }),
  pushBytes: new Counter({
    name: 'nemlive_push_bytes_total',
    help: 'Bytes of push frames written into sockets',
    registers: [registry],
  }),
  pushSkipped: new Counter({
    name: 'nemlive_push_skipped_total',
    help: 'Pushes not sent to a socket that had fallen behind (it gets the latest state when it drains)',
    registers: [registry],
  }),
  pushCycle: new Histogram({
    name: 'nemlive_push_cycle_seconds',
    help: 'From a new watermark to the last publish of its pushes',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
  pushLatency: new Histogram({
    name: 'nemlive_push_latency_seconds',
    help: 'From a live batch committed to the store until the last socket was written with the pushes it caused',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  backpressureDrops: new Counter({
    name: 'nemlive_ws_send_dropped_total',
    help: 'Frames uWS dropped because a socket was over its backpressure limit (it is then closed)',
    registers: [registry],
  }),
  sessionsRejected: new Counter({
    name: 'nemlive_sessions_rejected_total',
    help: 'Sockets turned away, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
};

/** Frames written into sockets (the session counts its sends, the fan-out its writes once per push). */
export const framesOut = metrics.wsMessages.labels({ direction: 'out' });

const DUCK_MEMORY_SQL = 'SELECT sum(memory_usage_bytes)::DOUBLE AS bytes FROM duckdb_memory()';
/** A sample older than this is refreshed when /healthz reads it (in the background: health stays synchronous). */
const DUCK_MEMORY_STALE_MS = 5000;
/** A scrape waits this long for a fresh sample, then reports the last one. */
const DUCK_MEMORY_WAIT_MS = 1000;

/**
 * Reads duckdb_memory() on a connection the app owns (never a session's), one read at a time: concurrent scrapes
 * share it. Keeps the last value for /healthz, which must answer without waiting on DuckDB.
 */
export class DuckMemoryProbe {
  private value: { bytes: number; at: number } | undefined;
  private reading: Promise<number | undefined> | undefined;

  constructor(private readonly conn: ConnHolder) {}

  /** The last sample (bytes), refreshing it in the background when it is stale. */
  get last(): number | undefined {
    if (!this.value || Date.now() - this.value.at > DUCK_MEMORY_STALE_MS) void this.read();
    return this.value?.bytes;
  }

  /** A fresh sample, or the last one if DuckDB does not answer within a second (or the connection is closed). */
  async read(): Promise<number | undefined> {
    if (this.conn.closed) return this.value?.bytes;
    this.reading ??= this.conn
      .withConn(async (c) => Number((await c.runAndReadAll(DUCK_MEMORY_SQL)).getRowObjectsJS()[0]?.bytes ?? 0))
      .then(
        (bytes) => {
          this.value = { bytes, at: Date.now() };
          return bytes;
        },
        () => this.value?.bytes,
      )
      .finally(() => (this.reading = undefined));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<number | undefined>(
      (resolve) => (timer = setTimeout(() => resolve(this.value?.bytes), DUCK_MEMORY_WAIT_MS)),
    );
    try {
      return await Promise.race([this.reading, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
