// A fast cadence (issue 16): 500 analysts × 30 s on a 30-day demo replaying one interval every 5 s, starting as soon
// as /healthz answers (the boot warmup still running), then the server left alone: CPU seconds per interval under the
// soak and idle. Each figure twice in the same run, on copies of the same store with an empty cache: the server as it
// is (hot refresh of recently asked questions, incremental advance) and the baseline before it (HOT_REFRESH=every,
// ADVANCE=0: every question seen at the last two watermarks refreshed, the refresh's own included; every answer
// recomputed in full; APP_SLOTS=1: app work in the one cold-query slot).
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDemoStore } from '../soak/demo-store.ts';
import { runSoak } from '../soak/run.ts';
import { spawnServer, waitForWarmup } from '../soak/spawn-server.ts';
import { sampleServer } from '../soak/server-probe.ts';
import { HOT_HORIZON_S } from '../server/cache/hot.ts';
import { INTERVAL_S } from '../shared/nem.ts';
import { cpuSecondsOf } from './proc.ts';
import type { BenchContext, BenchResult } from './types.ts';

/** Seconds between replayed intervals. */
const CADENCE_S = 5;
/** Idle is measured in windows of this many seconds after the soak, until the hot-refresh horizon has passed. */
const WINDOW_S = 20;

export const POLICIES = {
  new: { HOT_REFRESH: 'recent', ADVANCE: '1' },
  baseline: { HOT_REFRESH: 'every', ADVANCE: '0', APP_SLOTS: '1' },
} as const;

/** CPU seconds a process has used so far (0 where /proc is missing: the figures then say nothing). */
const cpuOf = (pid: number): number => cpuSecondsOf(pid) ?? 0;

/** A 30-day demo (built once under the bench's tmp dir), copied to `dir` so every run starts from the same store. */
export async function storeCopy(ctx: BenchContext, days: number, dir: string): Promise<string> {
  const src = join(ctx.dataDir, '..', `bench-data-${days}d`);
  await ensureDemoStore(src, days, (m) => ctx.log(`fast-cadence: ${m}`));
  mkdirSync(dir, { recursive: true });
  cpSync(src, dir, { recursive: true });
  return dir;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const sockets = ctx.quick ? 50 : 500;
  const durationS = ctx.quick ? 10 : 30;
  // The default horizon (HOT_HORIZON_S) and a window past it; --quick shortens the horizon to 20 s.
  const horizonS = ctx.quick ? 20 : HOT_HORIZON_S;
  const days = ctx.quick ? 3 : 30;
  const figures: Record<keyof typeof POLICIES, Awaited<ReturnType<typeof once>>> = {} as never;
  for (const name of ['baseline', 'new'] as const) {
    const dir = join(ctx.scratchDir, name);
    figures[name] = await once(ctx, name, await storeCopy(ctx, days, join(dir, 'data')), join(dir, 'cache'), {
      sockets,
      durationS,
      horizonS,
      days,
    });
  }
  const { new: now, baseline: was } = figures;
  const label = `${sockets} analysts × ${durationS} s, REPLAY_SECONDS=${CADENCE_S}, ${days}-day demo, from /healthz`;
  const note = `baseline: HOT_REFRESH=every ADVANCE=0 APP_SLOTS=1 on a copy of the same store, same run; new: HOT_HORIZON_S=${horizonS}`;
  const lower = (v: number, b: number) => (v > 0 ? Math.round((b / v) * 100) / 100 : undefined);
  return [
    {
      name: `p99 (${label})`,
      value: now.p99,
      unit: 'ms',
      baseline: was.p99,
      ratio: lower(now.p99, was.p99),
      goal: '≤ 50 ms',
      note,
    },
    {
      name: `cache hit rate (${label})`,
      value: now.hitRate,
      unit: '%',
      baseline: was.hitRate,
      goal: '≥ 99%',
      note: `misses: ${now.db} DuckDB answers, ${now.coldFirstAsks} of them the first ask of one of ${now.distinct} distinct questions (no cache holds those unless a warmup computed them first); baseline ${was.db}, ${was.coldFirstAsks} of ${was.distinct}`,
    },
    { name: `errors (${label})`, value: now.errors, unit: 'errors', baseline: was.errors, goal: '0' },
    {
      name: `intervals shown during the soak (${label})`,
      value: now.intervals,
      unit: 'intervals',
      baseline: was.intervals,
      note: `${Math.floor(durationS / CADENCE_S)} due at the replay's pace; the market shows an interval once its hot answers are computed (at most 30 s), so under load the replay slows`,
    },
    {
      name: `server CPU per interval under the soak (${label})`,
      value: now.soakCpu,
      unit: 's',
      baseline: was.soakCpu,
      ratio: lower(now.soakCpu, was.soakCpu),
      note: 'server process user + system CPU ÷ intervals shown meanwhile',
    },
    {
      name: `server CPU per interval, idle, first ${WINDOW_S} s after the soak (${days}-day demo, REPLAY_SECONDS=${CADENCE_S})`,
      value: now.idleCpu[0],
      unit: 's',
      baseline: was.idleCpu[0],
      note: `0 sessions, after the boot warmup has finished; windows of ${WINDOW_S} s, new: ${now.idleCpu.join(', ')} s; baseline: ${was.idleCpu.join(', ')} s`,
    },
    {
      name: `server CPU per interval, idle, past the ${horizonS} s horizon (${days}-day demo, REPLAY_SECONDS=${CADENCE_S})`,
      value: now.idleCpu.at(-1)!,
      unit: 's',
      baseline: was.idleCpu.at(-1),
      ratio: lower(now.idleCpu.at(-1)!, was.idleCpu.at(-1)!),
      goal: 'ingest + a refresh that decays',
    },
  ];
}

async function once(
  ctx: BenchContext,
  name: keyof typeof POLICIES,
  dataDir: string,
  cacheDir: string,
  o: { sockets: number; durationS: number; horizonS: number; days: number },
): Promise<{
  p99: number;
  hitRate: number;
  errors: number;
  intervals: number;
  soakCpu: number;
  idleCpu: number[];
  db: number;
  distinct: number;
  coldFirstAsks: number;
}> {
  ctx.log(`fast-cadence: ${name}: starting a server on a ${o.days}-day demo, REPLAY_SECONDS=${CADENCE_S}`);
  // warm: false only skips waiting for the warmup; WARM=1 runs it, so the soak starts as /healthz answers.
  const server = await spawnServer({
    dataDir,
    cacheDir,
    demoDays: o.days,
    replaySeconds: CADENCE_S,
    warm: false,
    env: { WARM: '1', ...POLICIES[name], HOT_HORIZON_S: String(o.horizonS) },
  });
  try {
    const cpu0 = cpuOf(server.pid);
    const mark0 = await watermarkOf(server.base);
    const soak = await runSoak({
      url: server.url,
      sockets: o.sockets,
      durationS: o.durationS,
      rampS: Math.min(5, o.durationS / 4),
      seed: 1,
      procs: Math.min(ctx.cores, 4),
      thinkMs: 2000,
      settleS: 5,
    });
    const intervals = Math.round(((await watermarkOf(server.base)) - mark0) / INTERVAL_S);
    const soakCpu = (cpuOf(server.pid) - cpu0) / Math.max(1, intervals);
    ctx.log(
      `fast-cadence: ${name}: p99 ${soak.latencyMs.p99} ms, hit rate ${(100 * soak.cacheHitRate).toFixed(1)}% (${soak.cache.db} DuckDB answers, ${soak.questions.coldFirstAsks} the first ask of one of ${soak.questions.distinct} questions), ${soak.errors} errors, ${intervals} intervals shown, ${soakCpu.toFixed(2)} s CPU per interval`,
    );
    await waitForWarmup(server.base, 600_000, () => true); // so idle CPU is the intervals' own
    const idleCpu: number[] = [];
    const idleStart = Date.now();
    while (Date.now() - idleStart < (o.horizonS + WINDOW_S) * 1000) {
      const c = cpuOf(server.pid);
      await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
      idleCpu.push(Math.round(((cpuOf(server.pid) - c) * CADENCE_S * 1000) / WINDOW_S) / 1000);
    }
    ctx.log(`fast-cadence: ${name}: idle CPU per interval, ${WINDOW_S} s windows: ${idleCpu.join(', ')} s`);
    return {
      p99: soak.latencyMs.p99,
      hitRate: Math.round(soak.cacheHitRate * 1000) / 10,
      errors: soak.errors,
      intervals,
      soakCpu: Math.round(soakCpu * 1000) / 1000,
      idleCpu,
      db: soak.cache.db,
      ...soak.questions,
    };
  } finally {
    await server.stop();
  }
}

/** The market's watermark, epoch seconds (from /healthz). */
async function watermarkOf(base: string): Promise<number> {
  const w = (await sampleServer(base)).watermark;
  if (!w) throw new Error('fast-cadence: the server reports no watermark');
  return Date.parse(w) / 1000;
}
