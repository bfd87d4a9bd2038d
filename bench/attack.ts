// The cache-busting attack (hardening issue): 20 sockets sending distinct uncached questions just under the rate
// limit for 60 s beside 100 analysts asking cached ones, against the analysts alone (the baseline, same server,
// same run). Reports the analysts' p99, the share of the attackers' questions refused `overloaded`, and the
// server's RSS (peak, and its growth over the attack's second half: flat means the queued work is bounded).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, spawnServer, type SpawnedServer } from '../soak/spawn-server.ts';
import { metricSum, parseMetrics, sampleServer } from '../soak/server-probe.ts';
import type { AttackOptions, AttackReport } from './attack-client.ts';
import { ask, forkReady, rssMBOf } from './proc.ts';
import { queryMix } from './query-mix.ts';
import { measure, prime } from './roundtrip.ts';
import type { BenchContext, BenchResult } from './types.ts';

const ATTACKERS = 20;
const ANALYSTS = 100;
/** Just under RATE_LIMIT's default 200/s, so every frame reaches the answer path. */
const ATTACK_PER_SECOND = 190;
const SAMPLE_MS = 500;

interface Sample {
  atS: number;
  rssMB: number;
  heapMB: number;
  queued: number;
  /** What holds the memory: DuckDB's own accounting (duckdb_memory()), the LRU's bytes, V8's external memory. */
  duckMB: number;
  lruMB: number;
  externalMB: number;
  /** The server's event-loop delay p99 since the previous scrape (prom-client resets it on each), ms. */
  loopP99Ms: number;
}

/** The server's RSS, V8 heap and cold-query queue every SAMPLE_MS until stopped. */
function watch(server: SpawnedServer): { stop(): Sample[] } {
  const samples: Sample[] = [];
  const t0 = performance.now();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    fetch(`${server.base}/metrics`)
      .then((r) => r.text())
      .then((text) => {
        const m = parseMetrics(text);
        samples.push({
          atS: (performance.now() - t0) / 1000,
          rssMB: rssMBOf(server.pid) ?? NaN,
          heapMB: (metricSum(m, 'nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
          queued: metricSum(m, 'nemlive_cold_queries', 'state="queued"') ?? NaN,
          duckMB: (metricSum(m, 'nemlive_duckdb_memory_bytes') ?? NaN) / 2 ** 20,
          lruMB: (metricSum(m, 'nemlive_cache_bytes', 'tier="lru"') ?? NaN) / 2 ** 20,
          externalMB: (metricSum(m, 'nodejs_external_memory_bytes') ?? NaN) / 2 ** 20,
          loopP99Ms: (metricSum(m, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000,
        });
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}

/** Least-squares slope of RSS over the samples' second half, MB/s. */
function secondHalfSlope(samples: Sample[]): number {
  const half = samples.slice(Math.floor(samples.length / 2)).filter((s) => Number.isFinite(s.rssMB));
  if (half.length < 2) return NaN;
  const mx = half.reduce((a, s) => a + s.atS, 0) / half.length;
  const my = half.reduce((a, s) => a + s.rssMB, 0) / half.length;
  const num = half.reduce((a, s) => a + (s.atS - mx) * (s.rssMB - my), 0);
  const den = half.reduce((a, s) => a + (s.atS - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const max = (xs: number[]): number => {
  const finite = xs.filter(Number.isFinite);
  return finite.length ? Math.max(...finite) : NaN;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  // ATTACK_SECONDS: a longer attack, to see where RSS levels off; ATTACK_TRACE=file: every sample as JSON.
  const attackS = Number(process.env.ATTACK_SECONDS) || (ctx.quick ? 10 : 60);
  const aloneS = ctx.quick ? 5 : 20;
  const procs = Math.max(2, ctx.cores);
  const mix = queryMix();
  const analysts = (durationS: number) => ({
    sockets: Math.ceil(ANALYSTS / procs),
    mode: { type: 'paced', intervalMs: 1000 } as const,
    mix,
    durationMs: durationS * 1000,
    codec: 'msgpack' as const,
  });
  // A cache of its own: the attack's answers would otherwise crowd the shared bench cache.
  // ATTACK_SERVER_NODE_OPTIONS: node flags for the server alone (e.g. --cpu-prof --cpu-prof-dir=D).
  const nodeOptions = process.env.ATTACK_SERVER_NODE_OPTIONS;
  const server = await spawnServer({
    dataDir: ctx.dataDir,
    cacheDir: join(ctx.scratchDir, 'cache'),
    demoDays: ctx.demoDays,
    replaySeconds: 0,
    warm: false,
    env: nodeOptions ? { NODE_OPTIONS: nodeOptions } : undefined,
  });
  try {
    await prime(server.url, 'msgpack', mix);
    const wm = (await sampleServer(server.base)).watermark;
    if (!wm) throw new Error('the bench store has no watermark');
    const watermark = Date.parse(wm) / 1000;

    ctx.log(`attack: ${ANALYSTS} analysts alone for ${aloneS} s (baseline)…`);
    const aloneWatch = watch(server);
    const alone = await measure(server, analysts(aloneS), procs);
    const before = aloneWatch.stop();
    ctx.log(`attack: alone p99 ${alone.p99.toFixed(2)} ms, RSS ${max(before.map((s) => s.rssMB)).toFixed(0)} MB`);

    ctx.log(
      `attack: ${ATTACKERS} sockets × ${ATTACK_PER_SECOND} distinct cold questions/s for ${attackS} s beside ${ANALYSTS} analysts…`,
    );
    const attacker = await forkReady(join(ROOT, 'bench/attack-client.ts'));
    const o: AttackOptions = {
      url: server.url,
      sockets: ATTACKERS,
      perSecond: ATTACK_PER_SECOND,
      durationMs: attackS * 1000,
      watermark,
      firstTs: watermark - ctx.demoDays * 86400,
    };
    const duringWatch = watch(server);
    const [attack, beside] = await Promise.all([
      ask<AttackReport>(attacker, o),
      measure(server, analysts(attackS), procs),
    ]);
    const during = duringWatch.stop();
    if (process.env.ATTACK_TRACE) writeFileSync(process.env.ATTACK_TRACE, JSON.stringify({ before, during }));
    const alive = (await sampleServer(server.base).then(
      () => true,
      () => false,
    ))
      ? 'the server answered /healthz after the attack'
      : 'the server did NOT answer /healthz after the attack';
    const overloaded = attack.errors.overloaded ?? 0;
    const rssBefore = before.at(-1)?.rssMB ?? NaN;
    const rssPeak = max(during.map((s) => s.rssMB));
    const slope = secondHalfSlope(during);
    const heapPeak = max(during.map((s) => s.heapMB));
    const queuedPeak = max(during.map((s) => s.queued));
    const loopWorst = max(during.map((s) => s.loopP99Ms));
    const duckPeak = max(during.map((s) => s.duckMB));
    const lruPeak = max(during.map((s) => s.lruMB));
    const externalPeak = max(during.map((s) => s.externalMB));
    const loopAlone = max(before.map((s) => s.loopP99Ms));
    ctx.log(
      `attack: analysts p99 ${beside.p99.toFixed(2)} ms; attackers sent ${attack.sent}, ${attack.results} answered, errors ${JSON.stringify(attack.errors)}, ${attack.closed} sockets closed; RSS ${rssBefore.toFixed(0)} → peak ${rssPeak.toFixed(0)} MB (last half ${slope.toFixed(2)} MB/s); heap peak ${heapPeak.toFixed(0)} MB; DuckDB peak ${duckPeak.toFixed(0)} MB; LRU peak ${lruPeak.toFixed(0)} MB; external peak ${externalPeak.toFixed(0)} MB; queue peak ${queuedPeak}; worst event-loop p99 ${loopWorst.toFixed(0)} ms (alone ${loopAlone.toFixed(0)} ms); ${alive}`,
    );
    const errs = (e: Record<string, number>) => (Object.keys(e).length ? JSON.stringify(e) : 'none');
    return [
      {
        name: `analysts' p99 under a cache-busting attack (${ANALYSTS} analysts × 1 query/s)`,
        value: r2(beside.p99),
        unit: 'ms',
        baseline: r2(alone.p99),
        ratio: r2(beside.p99 / alone.p99),
        goal: '≤ 50 ms',
        note: `baseline: the analysts alone; ratio = under attack ÷ alone; analysts' errors ${errs(beside.errors)}; server event-loop delay p99, worst ${SAMPLE_MS} ms window: ${Math.round(loopWorst)} ms (alone ${Math.round(loopAlone)} ms); ${alive}`,
      },
      {
        name: `attackers' questions refused overloaded (${ATTACKERS} sockets × ${ATTACK_PER_SECOND}/s, ${attackS} s)`,
        value: r1((100 * overloaded) / Math.max(1, attack.sent)),
        unit: '%',
        note: `${attack.sent} sent, ${attack.results} answered; errors ${errs(attack.errors)}; ${attack.closed} sockets closed by the server; cold-query queue peak ${queuedPeak}`,
      },
      {
        name: 'server peak RSS under the attack',
        value: Math.round(rssPeak),
        unit: 'MB',
        baseline: Math.round(rssBefore),
        ratio: r2(rssPeak / rssBefore),
        goal: 'flat',
        note: `baseline: RSS after the analysts alone; ratio = peak ÷ baseline; peaks: V8 heap ${Math.round(heapPeak)} MB, V8 external ${Math.round(externalPeak)} MB, DuckDB (duckdb_memory()) ${Math.round(duckPeak)} MB, LRU ${Math.round(lruPeak)} MB (LRU_MB default 256)`,
      },
      {
        name: "server RSS growth over the attack's second half",
        value: r2(slope),
        unit: 'MB/s',
        goal: '≈ 0',
        note: `least-squares slope of RSS sampled every ${SAMPLE_MS} ms`,
      },
    ];
  } finally {
    await server.stop();
  }
}
