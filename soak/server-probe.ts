// Reads the server's own view of itself over HTTP (CONTRACT §2): /healthz for sessions and DuckDB connections,
// /metrics for RSS, CPU and cache counters. Used before, during and after a soak or benchmark.

export interface ServerSample {
  at: number;
  sessions: number;
  duckdbConnections: number;
  rssMB: number | null;
  cpuSeconds: number | null;
  cacheHits: number | null;
  cacheMisses: number | null;
  watermark: string | null;
}

/** `ws://host:port/ws` → `http://host:port` (wss → https). */
export function httpBase(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  return u.origin;
}

/** Prometheus text format → samples keyed by `name` or `name{labels}` exactly as written. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** Sum of every sample of `name` whose labels contain all of `labels` (e.g. `tier="lru"`). */
export function metricSum(metrics: Map<string, number>, name: string, ...labels: string[]): number | null {
  let sum: number | null = null;
  for (const [key, value] of metrics) {
    const brace = key.indexOf('{');
    const base = brace < 0 ? key : key.slice(0, brace);
    if (base !== name || !labels.every((l) => key.includes(l))) continue;
    sum = (sum ?? 0) + value;
  }
  return sum;
}

async function get(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}

export async function sampleServer(base: string, timeoutMs = 5000): Promise<ServerSample> {
  const [healthText, metricsText] = await Promise.all([
    get(`${base}/healthz`, timeoutMs),
    get(`${base}/metrics`, timeoutMs).catch(() => ''),
  ]);
  const health = JSON.parse(healthText) as { sessions?: number; duckdbConnections?: number; watermark?: string };
  const m = parseMetrics(metricsText);
  const rss = metricSum(m, 'process_resident_memory_bytes');
  const lru = metricSum(m, 'nemlive_cache_hits_total', 'tier="lru"');
  const lmdb = metricSum(m, 'nemlive_cache_hits_total', 'tier="lmdb"');
  return {
    at: Date.now(),
    sessions: Number(health.sessions ?? metricSum(m, 'nemlive_sessions') ?? NaN),
    duckdbConnections: Number(health.duckdbConnections ?? metricSum(m, 'nemlive_duckdb_connections') ?? NaN),
    rssMB: rss === null ? null : rss / 2 ** 20,
    cpuSeconds: metricSum(m, 'process_cpu_seconds_total'),
    cacheHits: lru === null && lmdb === null ? null : (lru ?? 0) + (lmdb ?? 0),
    cacheMisses: metricSum(m, 'nemlive_cache_misses_total'),
    watermark: health.watermark ?? null,
  };
}

/**
 * Polls until sessions and connections are back to `baseline` (zero by default), or `timeoutMs` passes;
 * returns the last sample either way.
 */
export async function waitForIdle(
  base: string,
  timeoutMs: number,
  baseline = { sessions: 0, duckdbConnections: 0 },
): Promise<ServerSample> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await sampleServer(base);
    if ((s.sessions <= baseline.sessions && s.duckdbConnections <= baseline.duckdbConnections) || Date.now() >= until)
      return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Polls /healthz until it answers (a server still building its demo or warming up), or throws after `timeoutMs`. */
export async function waitForServer(base: string, timeoutMs: number, alive?: () => boolean): Promise<ServerSample> {
  const until = Date.now() + timeoutMs;
  let last: Error | undefined;
  while (Date.now() < until) {
    if (alive && !alive()) throw new Error('the server process exited before it answered /healthz');
    try {
      return await sampleServer(base, 2000);
    } catch (err) {
      last = err as Error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `no answer from ${base}/healthz within ${Math.round(timeoutMs / 1000)} s (${last?.message ?? 'timeout'})`,
  );
}
