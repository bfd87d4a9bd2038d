// New-interval push latency (CONTRACT §6: p95 ≤ 100 ms at 10,000 idle subscribers). The server runs in this
// process on a small demo store; idle subscribers live in forked processes (bench/push-client.ts) so their CPU is
// not the server's event loop. Each round appends one demo interval, stamps the moment it is committed, runs the
// real pipeline (watermark → recompute each subscribed question once → uWS publish), and every socket records when
// its push arrived. Latency = arrival − commit, per socket, on one monotonic clock.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startApp, type AppHandle } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/log.ts';
import { appendDemo } from '../server/store/demo.ts';
import { encode } from '../shared/protocol.ts';
import { ROOT } from '../soak/spawn-server.ts';
import { POLICIES } from './fast-cadence.ts';
import { ask, forkReady } from './proc.ts';
import type { BenchContext, BenchResult } from './types.ts';

export interface Question {
  kind: string;
  params: Record<string, unknown>;
}
/** What idle subscribers watch, and whether they apply push deltas (as the SDK, so the browser app, does). */
export interface Mix {
  subs: Question[];
  delta?: boolean;
}
/** What idle dashboards sit on: the NEM tab per region, and the price ticker. */
export const TAB_MIX: Question[] = [
  { kind: 'prices.current', params: {} },
  ...['NEM', 'NSW1', 'QLD1', 'VIC1', 'SA1', 'TAS1'].map((region) => ({ kind: 'tab.nem', params: { region } })),
];
/** One small, cheap question: isolates the fan-out from the recomputation. */
export const TICKER: Question[] = [{ kind: 'prices.current', params: {} }];
/** Sockets per subscriber process: 10,000 run from two processes, one per core here. */
const PER_PROCESS = 5000;

interface Collected {
  times: number[];
  missing: number;
  wrong: number;
}

export const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
export const r2 = (x: number) => Math.round(x * 100) / 100;

/** Idle subscribers in forked bench/push-client.ts processes, every socket subscribed. */
export interface Subscribers {
  children: ChildProcess[];
  /** Starts a measurement in every process. */
  arm(): Promise<void>;
  /** Waits for one push per socket; per process, the monotonic arrival times (ns) and the sockets without one. */
  collect(timeoutMs: number): Promise<Collected[]>;
  /** Closes the sockets and ends the processes. */
  close(): Promise<void>;
}

/**
 * `n` subscribers on `url` (round robin over `subs`), PER_PROCESS to a process; throws, after closing them, when any
 * failed.
 */
export async function openSubscribers(url: string, n: number, subs: Question[], delta: boolean): Promise<Subscribers> {
  const children = await Promise.all(
    Array.from({ length: Math.ceil(n / PER_PROCESS) }, () => forkReady(join(ROOT, 'bench/push-client.ts'))),
  );
  const close = async (): Promise<void> => {
    await Promise.all(children.map((c) => ask(c, { close: true }).catch(() => undefined)));
    for (const c of children) c.kill();
  };
  try {
    const opened = await Promise.all(
      children.map((c, i) =>
        ask<{ failed: number; firstError?: string }>(c, {
          url,
          open: Math.min(PER_PROCESS, n - i * PER_PROCESS),
          subs,
          delta,
        }),
      ),
    );
    const failed = opened.reduce((s, o) => s + o.failed, 0);
    if (failed > 0)
      throw new Error(`push: ${failed} of ${n} subscribers failed (${opened.find((o) => o.firstError)?.firstError})`);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    children,
    arm: async () => void (await Promise.all(children.map((c) => ask(c, { arm: true })))),
    collect: (timeoutMs) => Promise.all(children.map((c) => ask<Collected>(c, { collect: { timeoutMs } }))),
    close,
  };
}

/** The latency rows both push benchmarks report, from per-socket latencies (ms, sorted). */
export function latencyRows(label: string, sorted: number[], n: number, note: string): BenchResult[] {
  return [
    { name: `push latency p50, commit → socket (${label})`, value: r2(pct(sorted, 50)), unit: 'ms', note },
    {
      name: `push latency p95, commit → socket (${label})`,
      value: r2(pct(sorted, 95)),
      unit: 'ms',
      goal: n >= 10_000 ? '≤ 100 ms' : undefined,
    },
    { name: `push latency to the last socket (${label})`, value: r2(sorted[sorted.length - 1]), unit: 'ms' },
  ];
}

/**
 * The machine's floor for a push to these sockets, measured on them: a frame of `bytes` written to every session in
 * one synchronous loop, no question computed and no fan-out bookkeeping (uWS send and the kernel's loopback write,
 * with the subscriber processes on the same cores). Latency = arrival − the loop's start; p95 over `rounds`.
 */
export async function floorRow(
  app: AppHandle,
  subscribers: Subscribers,
  bytes: number,
  rounds: number,
  label: string,
): Promise<BenchResult> {
  const offsetNs = Number(process.hrtime.bigint()) - performance.now() * 1e6;
  // A push frame by its head (all the subscribers read), padded to the measured size.
  const frame = new Uint8Array(encode({ t: 'push', id: 1, pad: 'x'.repeat(Math.max(0, bytes - 24)) }));
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await subscribers.arm();
    const start = performance.now();
    for (const s of app.sessions.values()) s.sendUncorked(frame);
    const startNs = start * 1e6 + offsetNs;
    for (const g of await subscribers.collect(30_000)) for (const t of g.times) times.push((t - startNs) / 1e6);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  times.sort((a, b) => a - b);
  return {
    name: `floor: bare write of one ${bytes.toLocaleString('en')} B frame to every socket, p95 (${label})`,
    value: r2(pct(times, 95)),
    unit: 'ms',
    note: `${rounds} rounds; one loop of uWS sends, nothing computed: what this machine's loopback allows, for comparison`,
  };
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const sizes = ctx.quick ? [1000] : [1000, 10_000];
  const mixes = {
    'tab mix, deltas': { subs: TAB_MIX, delta: true },
    'tab mix': { subs: TAB_MIX },
    ticker: { subs: TICKER },
  };
  const rounds = ctx.quick ? 2 : 5;
  const out = await runPush(ctx, { sizes, rounds, mixes, dir: 'new' });
  // The baseline, in the same run: every answer recomputed in full, the old hot refresh (before issue 16).
  const largest = sizes.at(-1)!;
  const base = await runPush(ctx, {
    sizes: [largest],
    rounds,
    mixes: { 'tab mix, deltas': mixes['tab mix, deltas'], ticker: mixes.ticker },
    dir: 'baseline',
    env: POLICIES.baseline,
  });
  for (const r of out) {
    const b = base.find((x) => x.name === r.name);
    if (b)
      Object.assign(r, {
        baseline: b.value,
        note: [r.note, 'baseline: ADVANCE=0 HOT_REFRESH=every APP_SLOTS=1'].filter(Boolean).join('; '),
      });
  }
  return out;
}

async function runPush(
  ctx: BenchContext,
  o: { sizes: number[]; rounds: number; mixes: Record<string, Mix>; dir: string; env?: Record<string, string> },
): Promise<BenchResult[]> {
  const config = loadConfig([], {
    DATA_DIR: join(ctx.scratchDir, o.dir, 'data'),
    DEMO_DAYS: '2', // built by startApp into the empty scratch dir, as `npm start` does
    CACHE_DIR: join(ctx.scratchDir, o.dir, 'cache'),
    PORT: '0',
    HOST: '127.0.0.1',
    WARM: '0',
    LIVE: 'demo',
    REPLAY_SECONDS: '86400', // the benchmark appends intervals itself
    LOG_LEVEL: 'warn',
    MAX_SESSIONS: '20000',
    ...o.env,
  });
  const app = await startApp(config, { log: createLogger('warn') });
  const conn = await app.instance.connect();
  const out: BenchResult[] = [];
  try {
    for (const [name, mix] of Object.entries(o.mixes))
      for (const n of o.sizes) out.push(...(await measure(ctx, app, n, o.rounds, name, mix, () => appendDemo(conn))));
  } finally {
    conn.closeSync();
    await app.close();
  }
  return out;
}

async function measure(
  ctx: BenchContext,
  app: AppHandle,
  n: number,
  rounds: number,
  mix: string,
  { subs, delta = false }: Mix,
  append: () => Promise<number>,
): Promise<BenchResult[]> {
  const pipeline = app.live?.pipeline;
  if (!pipeline) throw new Error('push bench: the app started no live pipeline (LIVE=demo expected)');
  const subscribers = await openSubscribers(app.wsUrl, n, subs, delta);
  const procs = subscribers.children.length;
  // performance.now() here and hrtime in the children share CLOCK_MONOTONIC; this maps one onto the other.
  const offsetNs = Number(process.hrtime.bigint()) - performance.now() * 1e6;
  const latencies: number[] = [];
  const cycles: number[] = [];
  const computes: number[] = [];
  const perSocketUs: number[] = [];
  /** Bytes written per socket per push, and the share of sockets that got a delta, per round. */
  const perPushBytes: number[] = [];
  const deltaShare: number[] = [];
  let missing = 0;
  const label = `${n.toLocaleString('en')} idle subscribers, ${mix}`;
  let floor: BenchResult | undefined;
  try {
    ctx.log(`push: ${n.toLocaleString('en')} idle subscribers (${mix}) in ${procs} process(es); ${rounds} intervals`);
    for (let r = 0; r < rounds; r++) {
      await subscribers.arm();
      const ts = await append();
      const committedAt = performance.now();
      const outcome = await pipeline.onBatch({
        source: 'bench',
        files: [],
        rows: {},
        window: { minTs: ts, maxTs: ts },
        ingestedAt: committedAt,
      });
      if (outcome) cycles.push(outcome.latencyMs);
      const got = await subscribers.collect(30_000);
      const committedNs = committedAt * 1e6 + offsetNs;
      for (const g of got) {
        if (g.wrong > 0) throw new Error(`push bench: ${g.wrong} sockets got a frame that was not a push`);
        missing += g.missing;
        for (const t of g.times) latencies.push((t - committedNs) / 1e6);
      }
      const spread = got.map(
        (g) =>
          `${((Math.min(...g.times) - committedNs) / 1e6).toFixed(0)}–${((Math.max(...g.times) - committedNs) / 1e6).toFixed(0)}`,
      );
      ctx.log(
        `push: round ${r + 1}: server ${outcome?.latencyMs.toFixed(1)} ms; first–last arrival per client process: ${spread.join(', ')} ms`,
      );
      const cycle = outcome?.cycle;
      if (cycle && cycle.groups.length > 0) {
        computes.push(Math.max(...cycle.groups.map((g) => g.readyMs)));
        const sockets = cycle.groups.reduce((s, g) => s + g.sockets, 0);
        if (sockets > 0) {
          perSocketUs.push((1000 * cycle.groups.reduce((s, g) => s + g.sendMs, 0)) / sockets);
          perPushBytes.push(cycle.groups.reduce((s, g) => s + g.written, 0) / sockets);
          deltaShare.push(cycle.groups.reduce((s, g) => s + g.deltas, 0) / sockets);
        }
        const size = (g: (typeof cycle.groups)[number]) =>
          `${(g.bytes / 1024).toFixed(1)} KB${g.deltaBytes ? ` (delta ${(g.deltaBytes / 1024).toFixed(1)} KB to ${g.deltas})` : ''}`;
        ctx.log(
          `  cycle ${cycle.totalMs.toFixed(1)} ms: ${cycle.groups.map((g) => `${g.kind} ${size(g)} ready ${g.readyMs.toFixed(1)} sent ${g.sentMs.toFixed(1)} (${g.sockets} in ${g.sendMs.toFixed(1)})`).join('; ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the hot refresh that follows a push finish
      await pipeline.settled();
    }
    perPushBytes.sort((a, b) => a - b);
    if (perPushBytes.length > 0)
      floor = await floorRow(app, subscribers, Math.round(pct(perPushBytes, 50)), rounds, label);
  } finally {
    await subscribers.close();
  }
  for (const xs of [latencies, cycles, computes, perSocketUs, perPushBytes, deltaShare]) xs.sort((a, b) => a - b);
  const note = `${rounds} intervals × ${n} sockets in ${procs} client process(es); ${subs.length} distinct question(s) recomputed per interval: ${[...new Set(subs.map((q) => q.kind))].join(', ')}`;
  const results: BenchResult[] = [
    ...latencyRows(label, latencies, n, note),
    {
      name: `server: commit → last socket written, median (${label})`,
      value: r2(pct(cycles, 50)),
      unit: 'ms',
      note: 'as nemlive_push_latency_seconds records it',
    },
  ];
  if (computes.length > 0) {
    results.push(
      {
        name: `server: push cycle start → last answer ready, median (${label})`,
        value: r2(pct(computes, 50)),
        unit: 'ms',
        note: 'recomputation, overlapping the writes of answers ready earlier',
      },
      {
        name: `server: writing one push into one socket, median (${label})`,
        value: r2(pct(perSocketUs, 50)),
        unit: 'µs',
        note: 'time in the fan-out loops ÷ sockets written (uWS send + kernel)',
      },
    );
  }
  if (perPushBytes.length > 0) {
    results.push({
      name: `bytes written per push per socket, median round (${label})`,
      value: Math.round(pct(perPushBytes, 50)),
      unit: 'B',
      note: `frame bytes written ÷ sockets; sockets that got a delta: ${deltaShare.map((x) => `${Math.round(100 * x)}%`).join(', ')} (rounds, sorted)`,
    });
  }
  if (floor) results.push(floor);
  if (missing > 0)
    results.push({ name: `pushes missing after 30 s (${label})`, value: missing, unit: 'sockets', goal: '0' });
  return results;
}
