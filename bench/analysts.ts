// Issue 16's long soak as a benchmark: 1,000 analysts × 300 s on the one-year store, a new interval every 60 s, each
// server started on its own copy of the store and of an LMDB cache filled once by the boot warmup (so both policies
// start equally warm). Twice in the same run: the server as it is, and the policy baseline before issue 16
// (fast-cadence.ts POLICIES: HOT_REFRESH=every ADVANCE=0 APP_SLOTS=1). The analysts subscribe with push deltas, as the
// dashboard does. Figures are wall-clock on whatever else the machine runs meanwhile; the soak's client processes
// share its cores.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runSoak } from '../soak/run.ts';
import { spawnServer } from '../soak/spawn-server.ts';
import type { SoakJson } from '../soak/report.ts';
import { POLICIES } from './fast-cadence.ts';
import type { BenchContext, BenchResult } from './types.ts';

/** Seconds between replayed intervals: five intervals in a 300 s run (--quick: four in 40 s). */
const cadenceOf = (ctx: BenchContext) => (ctx.quick ? 10 : 60);

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const sockets = ctx.quick ? 100 : 1000;
  const durationS = ctx.quick ? 40 : 300;
  const cacheDir = join(ctx.scratchDir, 'cache-warm');
  await warmCache(ctx, cacheDir);
  const figures = {} as Record<keyof typeof POLICIES, SoakJson>;
  for (const name of ['baseline', 'new'] as const) {
    const dir = join(ctx.scratchDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // The live feed appends to the store and the run fills the cache: each policy gets fresh copies.
    cpSync(ctx.dataDir, join(dir, 'data'), { recursive: true });
    cpSync(cacheDir, join(dir, 'cache'), { recursive: true });
    figures[name] = await once(ctx, name, join(dir, 'data'), join(dir, 'cache'), sockets, durationS);
  }
  const { new: now, baseline: was } = figures;
  const label = `${sockets} analysts × ${durationS} s, an interval every ${cadenceOf(ctx)} s, ${ctx.demoDays}-day demo, warm cache`;
  const note = 'baseline: HOT_REFRESH=every ADVANCE=0 APP_SLOTS=1 on copies of the same store and cache, same run';
  const lower = (v: number, b: number) => (v > 0 ? Math.round((b / v) * 100) / 100 : undefined);
  return [
    {
      name: `soak p99 (${label})`,
      value: now.latencyMs.p99,
      unit: 'ms',
      baseline: was.latencyMs.p99,
      ratio: lower(now.latencyMs.p99, was.latencyMs.p99),
      goal: '≤ 10 ms (issue 16), ≤ 50 ms (CONTRACT)',
      note: `${note}; p50 ${now.latencyMs.p50} ms, p95 ${now.latencyMs.p95} ms; the clients' own event-loop delay p99 ${now.client.loopDelayP99Ms} ms`,
    },
    {
      name: `soak cache hit rate (${label})`,
      value: Math.round(now.cacheHitRate * 1000) / 10,
      unit: '%',
      baseline: Math.round(was.cacheHitRate * 1000) / 10,
      goal: '≥ 99%',
      note: `DuckDB answers: ${now.cache.db} (baseline ${was.cache.db})`,
    },
    { name: `soak errors (${label})`, value: now.errors, unit: 'errors', baseline: was.errors, goal: '0' },
    {
      name: `soak pushes received (${label})`,
      value: now.pushes,
      unit: 'pushes',
      baseline: was.pushes,
    },
  ];
}

/**
 * Fills `cacheDir` once: a server's boot warmup (every tab × region × preset and the common kinds) on the bench store,
 * with no live feed (so the store is left as it is, as the other modules' servers leave it).
 */
async function warmCache(ctx: BenchContext, cacheDir: string): Promise<void> {
  ctx.log('analysts: filling a cache with the boot warmup');
  rmSync(cacheDir, { recursive: true, force: true });
  const server = await spawnServer({ dataDir: ctx.dataDir, cacheDir, demoDays: ctx.demoDays, replaySeconds: 0 });
  await server.stop();
}

async function once(
  ctx: BenchContext,
  name: keyof typeof POLICIES,
  dataDir: string,
  cacheDir: string,
  sockets: number,
  durationS: number,
): Promise<SoakJson> {
  ctx.log(`analysts: ${name}: ${sockets} analysts × ${durationS} s, an interval every ${cadenceOf(ctx)} s`);
  const server = await spawnServer({
    dataDir,
    cacheDir,
    demoDays: ctx.demoDays,
    replaySeconds: cadenceOf(ctx),
    env: { ...POLICIES[name] },
  });
  try {
    const soak = await runSoak({
      url: server.url,
      sockets,
      durationS,
      rampS: Math.min(10, durationS / 4),
      seed: 1,
      procs: Math.min(ctx.cores, 8),
      thinkMs: 2000,
      settleS: 15,
    });
    ctx.log(
      `analysts: ${name}: p99 ${soak.latencyMs.p99} ms, hit rate ${(100 * soak.cacheHitRate).toFixed(1)}%, ${soak.errors} errors, ${soak.pushes} pushes`,
    );
    return soak;
  } finally {
    await server.stop();
  }
}
