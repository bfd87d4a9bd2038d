// Aggregation of a soak: merges what each client process saw with the server's own samples into the JSON of
// CONTRACT §1 (plus a few extra fields), the printed summary, the progress line and the pass/fail verdict.
import { Histogram } from './histogram.ts';
import type { ServerSample } from './server-probe.ts';
import type { ShareReport } from './worker.ts';

export interface Merged extends Omit<ShareReport, 'latency' | 'latencyByTier' | 'firstAsks'> {
  latency: Histogram;
  latencyByTier: Record<Tier, Histogram>;
  /** Each question's first ask over every process (the earliest): when, and whether DuckDB answered it. */
  firstAsks: Map<string, { at: number; db: boolean }>;
}
type Tier = 'lru' | 'lmdb' | 'db';
const TIERS: readonly Tier[] = ['lru', 'lmdb', 'db'];

export function mergeReports(reports: readonly ShareReport[]): Merged {
  const out: Merged = {
    requests: 0,
    pushes: 0,
    reconnects: 0,
    connects: 0,
    open: 0,
    bytesIn: 0,
    cache: { lru: 0, lmdb: 0, db: 0 },
    errors: {},
    errorSamples: [],
    latency: new Histogram(),
    cpuUserMs: 0,
    cpuSystemMs: 0,
    latencyByTier: { lru: new Histogram(), lmdb: new Histogram(), db: new Histogram() },
    firstAsks: new Map(),
  };
  for (const r of reports) {
    for (const [q, at, db] of r.firstAsks ?? []) {
      const seen = out.firstAsks.get(q);
      if (!seen || at < seen.at) out.firstAsks.set(q, { at, db });
    }
    out.requests += r.requests;
    out.pushes += r.pushes;
    out.reconnects += r.reconnects;
    out.connects += r.connects;
    out.open += r.open;
    out.bytesIn += r.bytesIn;
    out.cpuUserMs += r.cpuUserMs;
    out.cpuSystemMs += r.cpuSystemMs;
    if (r.loopDelayP99Ms !== undefined) out.loopDelayP99Ms = Math.max(out.loopDelayP99Ms ?? 0, r.loopDelayP99Ms);
    for (const tier of TIERS) {
      out.cache[tier] += r.cache[tier];
      if (r.latencyByTier) out.latencyByTier[tier].merge(r.latencyByTier[tier]);
    }
    for (const [code, n] of Object.entries(r.errors)) out.errors[code] = (out.errors[code] ?? 0) + n;
    for (const s of r.errorSamples)
      if (out.errorSamples.length < 10 && !out.errorSamples.includes(s)) out.errorSamples.push(s);
    out.latency.merge(r.latency);
  }
  return out;
}

/** LRU and LMDB answers are hits, a DuckDB answer is a miss; 0 when nothing was answered. */
export function cacheHitRate(cache: { lru: number; lmdb: number; db: number }): number {
  const total = cache.lru + cache.lmdb + cache.db;
  return total === 0 ? 0 : (cache.lru + cache.lmdb) / total;
}

export interface SoakJson {
  sockets: number;
  durationS: number;
  requests: number;
  errors: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  pushes: number;
  cacheHitRate: number;
  server: {
    rssBeforeMB: number | null;
    rssPeakMB: number | null;
    rssAfterMB: number | null;
    sessionsAfter: number;
    duckdbConnectionsAfter: number;
    sessionsBefore: number;
    duckdbConnectionsBefore: number;
    sessionsPeak: number;
    duckdbConnectionsPeak: number;
    cpuSeconds: number | null;
    cpuMsPerRequest: number | null;
  };
  // Extras beyond CONTRACT §1.
  url: string;
  seed: number;
  rampS: number;
  thinkMs: number;
  /** Pushes were whole answers (--full-pushes), not deltas as the dashboard asks. */
  fullPushes: boolean;
  /** Seconds the run really lasted (shorter than durationS when interrupted). */
  wallS: number;
  interrupted: boolean;
  requestsPerSecond: number;
  errorsByCode: Record<string, number>;
  errorSamples: string[];
  cache: { lru: number; lmdb: number; db: number };
  /**
   * Distinct questions answered (kind and params), and how many were answered from DuckDB the first time anyone asked
   * them: misses no cache could have saved unless something computed the question first (a warmup).
   */
  questions: { distinct: number; coldFirstAsks: number };
  latencyByTierMs: Record<Tier, { p50: number; p99: number; max: number }>;
  /** Mean bytes received per answer or push (payload size, roughly). */
  bytesPerMessage: number;
  connects: number;
  reconnects: number;
  client: { procs: number; cpuSeconds: number; cpuPercentOfOneCore: number; loopDelayP99Ms: number | null };
}

export interface SoakInputs {
  url: string;
  seed: number;
  thinkMs: number;
  fullPushes: boolean;
  interrupted: boolean;
  sockets: number;
  durationS: number;
  rampS: number;
  procs: number;
  wallS: number;
  merged: Merged;
  before: ServerSample;
  samples: readonly ServerSample[];
  after: ServerSample;
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;
const maxOf = (xs: (number | null)[]): number | null =>
  xs.reduce<number | null>((m, x) => (x === null || !Number.isFinite(x) ? m : m === null ? x : Math.max(m, x)), null);

export function buildSoakJson(i: SoakInputs): SoakJson {
  const { merged: m } = i;
  const all = [i.before, ...i.samples, i.after];
  const errors = Object.values(m.errors).reduce((s, n) => s + n, 0);
  const clientCpuS = (m.cpuUserMs + m.cpuSystemMs) / 1000;
  const serverCpu =
    i.before.cpuSeconds !== null && i.after.cpuSeconds !== null ? i.after.cpuSeconds - i.before.cpuSeconds : null;
  const rssOrNull = (x: number | null): number | null => (x === null ? null : round(x, 1));
  return {
    sockets: i.sockets,
    durationS: i.durationS,
    requests: m.requests,
    errors,
    latencyMs: {
      p50: round(m.latency.percentileMs(50)),
      p95: round(m.latency.percentileMs(95)),
      p99: round(m.latency.percentileMs(99)),
      max: round(m.latency.maxUs / 1000),
      mean: round(m.latency.meanMs()),
    },
    pushes: m.pushes,
    cacheHitRate: round(cacheHitRate(m.cache), 4),
    server: {
      rssBeforeMB: rssOrNull(i.before.rssMB),
      rssPeakMB: rssOrNull(maxOf(all.map((s) => s.rssMB))),
      rssAfterMB: rssOrNull(i.after.rssMB),
      sessionsAfter: i.after.sessions,
      duckdbConnectionsAfter: i.after.duckdbConnections,
      sessionsBefore: i.before.sessions,
      duckdbConnectionsBefore: i.before.duckdbConnections,
      sessionsPeak: maxOf(all.map((s) => s.sessions)) ?? 0,
      duckdbConnectionsPeak: maxOf(all.map((s) => s.duckdbConnections)) ?? 0,
      cpuSeconds: serverCpu === null ? null : round(serverCpu, 2),
      cpuMsPerRequest: serverCpu === null || m.requests === 0 ? null : round((serverCpu * 1000) / m.requests, 4),
    },
    url: i.url,
    seed: i.seed,
    rampS: i.rampS,
    thinkMs: i.thinkMs,
    fullPushes: i.fullPushes,
    wallS: round(i.wallS, 1),
    interrupted: i.interrupted,
    requestsPerSecond: round(m.requests / Math.max(0.001, i.wallS), 1),
    errorsByCode: { ...m.errors },
    errorSamples: [...m.errorSamples],
    cache: { ...m.cache },
    questions: { distinct: m.firstAsks.size, coldFirstAsks: [...m.firstAsks.values()].filter((f) => f.db).length },
    latencyByTierMs: Object.fromEntries(
      TIERS.map((t) => {
        const h = m.latencyByTier[t];
        return [t, { p50: round(h.percentileMs(50)), p99: round(h.percentileMs(99)), max: round(h.maxUs / 1000) }];
      }),
    ) as SoakJson['latencyByTierMs'],
    bytesPerMessage: Math.round(m.bytesIn / Math.max(1, m.requests + m.pushes)),
    connects: m.connects,
    reconnects: m.reconnects,
    client: {
      procs: i.procs,
      cpuSeconds: round(clientCpuS, 2),
      cpuPercentOfOneCore: round((100 * clientCpuS) / Math.max(0.001, i.wallS), 1),
      loopDelayP99Ms: m.loopDelayP99Ms === undefined ? null : round(m.loopDelayP99Ms, 1),
    },
  };
}

/**
 * Why the run failed, empty when it passed: any unexpected error, or sessions/connections not back where they were
 * before the run (zero on a server nobody else uses; other users' sockets are not the soak's leak).
 */
export function verdict(j: SoakJson): string[] {
  const why: string[] = [];
  const s = j.server;
  if (j.errors > 0)
    why.push(
      `${j.errors} unexpected error(s): ${Object.entries(j.errorsByCode)
        .map(([c, n]) => `${c}×${n}`)
        .join(', ')}`,
    );
  if (!(s.sessionsAfter <= s.sessionsBefore))
    why.push(`${s.sessionsAfter} session(s) open after every socket closed (before the run: ${s.sessionsBefore})`);
  if (!(s.duckdbConnectionsAfter <= s.duckdbConnectionsBefore))
    why.push(
      `${s.duckdbConnectionsAfter} DuckDB connection(s) held after every socket closed (before the run: ${s.duckdbConnectionsBefore})`,
    );
  if (j.requests === 0) why.push('no request was answered');
  return why;
}

const mb = (x: number | null): string => (x === null ? 'n/a' : `${x.toFixed(1)} MB`);

export function formatSoak(j: SoakJson): string {
  const errs =
    j.errors === 0
      ? '0'
      : `${j.errors} (${Object.entries(j.errorsByCode)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ')})`;
  return [
    `soak: ${j.sockets} sockets for ${j.durationS} s (ramp ${j.rampS} s, seed ${j.seed}, think ${j.thinkMs} ms${j.fullPushes ? ', full pushes' : ''}) against ${j.url}` +
      (j.interrupted ? ` — INTERRUPTED after ${j.wallS} s` : ''),
    `  requests   ${j.requests} (${j.requestsPerSecond}/s), errors ${errs}, pushes ${j.pushes}, reconnects ${j.reconnects}`,
    `  latency    p50 ${j.latencyMs.p50} ms · p95 ${j.latencyMs.p95} ms · p99 ${j.latencyMs.p99} ms · max ${j.latencyMs.max} ms`,
    `  cache      hit rate ${(j.cacheHitRate * 100).toFixed(1)}% (lru ${j.cache.lru}, lmdb ${j.cache.lmdb}, db ${j.cache.db}, ` +
      `${j.questions.coldFirstAsks} of them the first ask of one of ${j.questions.distinct} distinct questions); ` +
      TIERS.filter((t) => j.cache[t] > 0)
        .map((t) => `${t} p50 ${j.latencyByTierMs[t].p50} / p99 ${j.latencyByTierMs[t].p99} ms`)
        .join(' · ') +
      `; ${Math.round(j.bytesPerMessage / 1024)} KB per message`,
    `  server     RSS ${mb(j.server.rssBeforeMB)} → peak ${mb(j.server.rssPeakMB)} → after ${mb(j.server.rssAfterMB)}; ` +
      `sessions ${j.server.sessionsBefore} → peak ${j.server.sessionsPeak} → ${j.server.sessionsAfter}; ` +
      `DuckDB connections peak ${j.server.duckdbConnectionsPeak} → ${j.server.duckdbConnectionsAfter}` +
      (j.server.cpuSeconds === null ? '' : `; CPU ${j.server.cpuSeconds} s (${j.server.cpuMsPerRequest} ms/request)`),
    `  client     ${j.client.procs} process(es), CPU ${j.client.cpuSeconds} s (${j.client.cpuPercentOfOneCore}% of one core)` +
      (j.client.loopDelayP99Ms === null
        ? ''
        : `, event-loop delay p99 ${j.client.loopDelayP99Ms} ms (latencies above it may be the client's)`),
    ...j.errorSamples.map((s) => `  error      ${s}`),
  ].join('\n');
}

export function progressLine(
  elapsedS: number,
  totalS: number,
  sockets: number,
  m: Merged,
  server: ServerSample | null,
): string {
  const errors = Object.values(m.errors).reduce((s, n) => s + n, 0);
  return (
    `[${elapsedS.toFixed(0).padStart(4)}/${totalS} s] open ${m.open}/${sockets} · req ${m.requests} · err ${errors} · push ${m.pushes} · ` +
    `p99 ${m.latency.percentileMs(99).toFixed(2)} ms · hit ${(cacheHitRate(m.cache) * 100).toFixed(1)}%` +
    (server ? ` · server ${server.sessions} sessions, ${server.rssMB === null ? '?' : server.rssMB.toFixed(0)} MB` : '')
  );
}
