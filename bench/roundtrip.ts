// This server's cached round trip vs the baseline (bench/baseline-server.ts) on the same store and query mix:
// saturated throughput from several client processes with pipelined queries, p50/p99, server CPU per query,
// and the latency 1,000 paced analysts see (CONTRACT §6).
import { join } from 'node:path';
import WebSocket from 'ws';
import { decode, encode } from '../shared/protocol.ts';
import { Histogram } from '../soak/histogram.ts';
import { beyondResolution, PROM_CLIENT_RESOLUTION_MS } from '../soak/loop-delay.ts';
import { metricSum, parseMetrics } from '../soak/server-probe.ts';
import { spawnServer, ROOT, type SpawnedServer } from '../soak/spawn-server.ts';
import type { LoadOptions, LoadReport } from './load-client.ts';
import { ask, cpuSecondsOf, forkReady } from './proc.ts';
import { queryMix, type MixQuery } from './query-mix.ts';
import type { BenchContext, BenchResult } from './types.ts';

interface Measured {
  qps: number;
  p50: number;
  p99: number;
  answered: number;
  errors: Record<string, number>;
  cache: Record<string, number>;
  serverCpuMsPerQuery: number | null;
  clientCpuPct: number;
  clientLoopDelayP99Ms: number;
}

/**
 * Asks every query of the mix once, in order, so both servers start from warm DuckDB pages (and ours from a warm LRU).
 */
export async function prime(url: string, codec: 'msgpack' | 'json', mix: MixQuery[]): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => (ws.once('message', () => resolve()), ws.once('error', reject)));
  for (const [i, q] of mix.entries()) {
    const answer = await new Promise<{ t: string; message?: string }>((resolve) => {
      ws.once('message', (raw: Buffer) =>
        resolve((codec === 'msgpack' ? decode(raw) : JSON.parse(raw.toString())) as { t: string }),
      );
      const frame = { t: 'query', id: i + 1, kind: q.kind, params: q.params };
      ws.send(codec === 'msgpack' ? encode(frame) : JSON.stringify(frame));
    });
    if (answer.t !== 'result')
      throw new Error(`${q.kind} ${JSON.stringify(q.params)} failed while priming: ${answer.message ?? answer.t}`);
  }
  ws.close();
}

export async function measure(
  server: SpawnedServer,
  load: Omit<LoadOptions, 'url' | 'offset'>,
  procs: number,
): Promise<Measured> {
  const children = await Promise.all(
    Array.from({ length: procs }, () => forkReady(join(ROOT, 'bench/load-client.ts'))),
  );
  const cpu0 = cpuSecondsOf(server.pid);
  const reports = await Promise.all(
    children.map((c, i) => ask<LoadReport>(c, { ...load, url: server.url, offset: i * 7 })),
  );
  const cpu1 = cpuSecondsOf(server.pid);
  const hist = new Histogram();
  const errors: Record<string, number> = {};
  const cache: Record<string, number> = {};
  let answered = 0;
  let clientCpuMs = 0;
  for (const r of reports) {
    hist.merge(r.latency);
    answered += r.answered;
    clientCpuMs += r.cpuMs;
    for (const [k, n] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + n;
    for (const [k, n] of Object.entries(r.cache)) cache[k] = (cache[k] ?? 0) + n;
  }
  const wallS = Math.max(...reports.map((r) => r.wallMs)) / 1000;
  return {
    qps: answered / wallS,
    p50: hist.percentileMs(50),
    p99: hist.percentileMs(99),
    answered,
    errors,
    cache,
    // CPU over the whole load including the few hundred ms of closing; fine at this scale.
    serverCpuMsPerQuery: cpu0 === null || cpu1 === null || answered === 0 ? null : ((cpu1 - cpu0) * 1000) / hist.count,
    clientCpuPct: (100 * clientCpuMs) / 1000 / wallS,
    clientLoopDelayP99Ms: Math.max(...reports.map((r) => r.loopDelayP99Ms)),
  };
}

/** The server's event-loop delay p99 (beyond prom-client's timer period) since the last scrape, ms, or null. */
async function serverLoopLagP99(server: SpawnedServer): Promise<number | null> {
  const text = await fetch(`${server.base}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const v = metricSum(parseMetrics(text), 'nodejs_eventloop_lag_p99_seconds');
  return v === null ? null : beyondResolution(v * 1000, PROM_CLIENT_RESOLUTION_MS);
}

const r2 = (x: number): number => Math.round(x * 100) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const errText = (e: Record<string, number>): string =>
  Object.keys(e).length ? `errors ${JSON.stringify(e)}` : 'no errors';

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const mix = queryMix();
  const procs = Math.max(2, ctx.cores);
  // Many sockets, few in flight each, as analysts are.
  const saturate = {
    sockets: ctx.quick ? 20 : 100,
    mode: { type: 'pipelined', depth: 2 } as const,
    mix,
    durationMs: ctx.quick ? 3000 : 10_000,
  };
  const common = { dataDir: ctx.dataDir, cacheDir: ctx.cacheDir, demoDays: ctx.demoDays, replaySeconds: 0 };

  ctx.log('roundtrip: baseline server (ws + JSON + a DuckDB query per request)…');
  const baseline = await spawnServer({
    ...common,
    entry: 'bench/baseline-server.ts',
    extraArgs: ['--data-dir', ctx.dataDir],
    readyTimeoutMs: 60_000,
  });
  let b: Measured;
  try {
    await prime(baseline.url, 'json', mix);
    b = await measure(baseline, { ...saturate, codec: 'json' }, procs);
  } finally {
    await baseline.stop();
  }
  ctx.log(`roundtrip: baseline ${b.qps.toFixed(0)} queries/s, p99 ${b.p99.toFixed(1)} ms, ${errText(b.errors)}`);

  ctx.log('roundtrip: this server (uWS + msgpack + LRU/LMDB cache)…');
  // The per-session rate limit (200 frames/s) is lifted: the baseline has none, and a saturating socket would only
  // measure the limiter.
  const ours = await spawnServer({ ...common, warm: true, env: { RATE_LIMIT: '1000000', RATE_BURST: '1000000' } });
  let o: Measured;
  let paced: Measured;
  let serverLag: number | null;
  const analysts = ctx.quick ? 200 : 1000;
  try {
    await prime(ours.url, 'msgpack', mix);
    o = await measure(ours, { ...saturate, codec: 'msgpack' }, procs);
    ctx.log(`roundtrip: ours ${o.qps.toFixed(0)} queries/s, p99 ${o.p99.toFixed(2)} ms, ${errText(o.errors)}`);
    await serverLoopLagP99(ours); // prom-client resets its loop-delay histogram on each scrape: start clean
    paced = await measure(
      ours,
      {
        sockets: Math.ceil(analysts / procs),
        mode: { type: 'paced', intervalMs: 2000 },
        mix,
        durationMs: ctx.quick ? 6000 : 20_000,
        codec: 'msgpack',
      },
      procs,
    );
    serverLag = await serverLoopLagP99(ours);
    ctx.log(
      `roundtrip: ${analysts} paced analysts p50 ${paced.p50.toFixed(2)} ms, p99 ${paced.p99.toFixed(2)} ms, ${errText(paced.errors)}; event-loop delay p99: server ${serverLag === null ? 'n/a' : serverLag.toFixed(1)} ms, clients ${paced.clientLoopDelayP99Ms.toFixed(1)} ms`,
    );
  } finally {
    await ours.stop();
  }
  const hits = (m: Measured): string => {
    const total = Object.values(m.cache).reduce((s, n) => s + n, 0);
    return `cache hits ${((100 * ((m.cache.lru ?? 0) + (m.cache.lmdb ?? 0))) / Math.max(1, total)).toFixed(1)}%`;
  };
  const sat = `${procs} client procs × ${saturate.sockets} sockets × ${saturate.mode.depth} in flight, ${saturate.durationMs / 1000} s, ${mix.length}-query mix`;
  return [
    {
      name: 'cached throughput vs baseline (saturated)',
      value: Math.round(o.qps),
      unit: 'queries/s',
      baseline: Math.round(b.qps),
      ratio: r2(o.qps / b.qps),
      goal: '≥ 10×',
      note: `${sat}; ${hits(o)}; ours ${errText(o.errors)}, baseline ${errText(b.errors)}; client CPU ${o.clientCpuPct.toFixed(0)}% / ${b.clientCpuPct.toFixed(0)}% of a core`,
    },
    {
      name: 'round trip p50 under saturation',
      value: r3(o.p50),
      unit: 'ms',
      baseline: r3(b.p50),
      ratio: r2(b.p50 / o.p50),
      note: 'ratio = baseline ÷ ours',
    },
    {
      name: 'round trip p99 under saturation',
      value: r3(o.p99),
      unit: 'ms',
      baseline: r3(b.p99),
      ratio: r2(b.p99 / o.p99),
      note: 'ratio = baseline ÷ ours',
    },
    ...(o.serverCpuMsPerQuery !== null && b.serverCpuMsPerQuery !== null
      ? [
          {
            name: 'server CPU per query',
            value: r3(o.serverCpuMsPerQuery),
            unit: 'ms',
            baseline: r3(b.serverCpuMsPerQuery),
            ratio: r2(b.serverCpuMsPerQuery / o.serverCpuMsPerQuery),
            note: 'from /proc/<pid>/stat; ratio = baseline ÷ ours',
          },
        ]
      : []),
    {
      name: `cached round trip p50, ${analysts} analysts × 1 query / 2 s`,
      value: r3(paced.p50),
      unit: 'ms',
      goal: '≤ 0.5 ms',
      note: `${hits(paced)}; ${errText(paced.errors)}`,
    },
    {
      name: `cached round trip p99, ${analysts} analysts × 1 query / 2 s`,
      value: r3(paced.p99),
      unit: 'ms',
      goal: '≤ 5 ms',
      note: `event-loop delay p99: server ${serverLag === null ? 'n/a' : serverLag.toFixed(1)} ms, clients ${paced.clientLoopDelayP99Ms.toFixed(1)} ms; client CPU ${paced.clientCpuPct.toFixed(0)}% of a core (${procs} procs)`,
    },
  ];
}
