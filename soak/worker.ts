// A client process running its share of the soak's analysts, so the client is not the bottleneck on 2 cores.
// The parent (cli.ts) forks several of these; runShare also runs in-process for small soaks and tests.
import { pathToFileURL } from 'node:url';
import { Analyst, newStats, type Stats } from './analyst.ts';
import type { HistogramSnapshot } from './histogram.ts';
import { analystScript } from './script.ts';
import { watchLoopDelay } from './loop-delay.ts';

/** One analyst in this many applies the deltas it is pushed (the others check their base): see Analyst. */
const APPLY_DELTAS_EVERY = 10;

export interface ShareOptions {
  url: string;
  /** Global analyst indices from, from + step, … below `to` that this process runs; the index seeds its script. */
  from: number;
  to: number;
  step: number;
  /** Total analysts across all processes: spreads the ramp evenly. */
  total: number;
  seed: number;
  thinkMs: number;
  fullPushes: boolean;
  rampMs: number;
  durationMs: number;
  /** Date.now() at which analyst 0 connects; shared by every process so the ramp is global. */
  startAt: number;
}

/** What a process reports: counters, the latency histogram, and its own CPU time. */
export interface ShareReport {
  requests: number;
  pushes: number;
  reconnects: number;
  connects: number;
  open: number;
  bytesIn: number;
  cache: Stats['cache'];
  /** Stats.firstAsks as [question, epoch ms, from DuckDB], in the final report only (it grows with the questions). */
  firstAsks?: [string, number, boolean][];
  errors: Record<string, number>;
  errorSamples: string[];
  latency: HistogramSnapshot;
  latencyByTier: Record<'lru' | 'lmdb' | 'db', HistogramSnapshot>;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** p99 of this process's event-loop delay, ms: high values mean latencies include client-side waiting. */
  loopDelayP99Ms?: number;
}

export type WorkerMessage =
  { type: 'ready' } | { type: 'progress'; report: ShareReport } | { type: 'done'; report: ShareReport };

function toReport(stats: Stats, cpuStart: NodeJS.CpuUsage, final = false): ShareReport {
  const cpu = process.cpuUsage(cpuStart);
  const { latency, latencyByTier: t, firstAsks, ...rest } = stats;
  const latencyByTier = { lru: t.lru.snapshot(), lmdb: t.lmdb.snapshot(), db: t.db.snapshot() };
  return {
    ...rest,
    cache: { ...rest.cache },
    errors: { ...rest.errors },
    errorSamples: [...rest.errorSamples],
    latency: latency.snapshot(),
    latencyByTier,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    ...(final ? { firstAsks: [...firstAsks].map(([q, f]): [string, number, boolean] => [q, f.at, f.db]) } : {}),
  };
}

/** Runs its analysts from startAt until startAt + durationMs (or until `abort`), then closes every socket. */
async function runShare(opts: ShareOptions, stats: Stats, abort?: AbortSignal): Promise<void> {
  const analysts: Analyst[] = [];
  const runs: Promise<void>[] = [];
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  const stopAll = (): void => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    for (const a of analysts) a.stop();
  };
  abort?.addEventListener('abort', stopAll, { once: true });
  const endAt = opts.startAt + opts.durationMs;
  const ending = new Promise<void>((resolve) => {
    const t = setTimeout(
      () => {
        stopAll();
        resolve();
      },
      Math.max(0, endAt - Date.now()),
    );
    abort?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
  for (let i = opts.from; i < opts.to; i += Math.max(1, opts.step)) {
    const at = opts.startAt + (opts.total > 1 ? (opts.rampMs * i) / opts.total : 0);
    timers.push(
      setTimeout(
        () => {
          if (stopped) return;
          const a = new Analyst(
            opts.url,
            analystScript(opts.seed, i, { thinkMs: opts.thinkMs }),
            stats,
            opts.fullPushes,
            i % APPLY_DELTAS_EVERY === 0,
          );
          analysts.push(a);
          runs.push(a.run());
        },
        Math.max(0, at - Date.now()),
      ),
    );
  }
  await ending;
  await Promise.all(runs);
}

async function main(): Promise<void> {
  const send = (m: WorkerMessage): void => void process.send!(m);
  const opts = new Promise<ShareOptions>((resolve) => process.once('message', (m) => resolve(m as ShareOptions)));
  send({ type: 'ready' });
  const cpuStart = process.cpuUsage();
  const stats = newStats();
  const abort = new AbortController();
  process.on('message', (m) => {
    if ((m as { type?: string }).type === 'stop') abort.abort();
  });
  process.on('disconnect', () => abort.abort()); // the parent died: never leave sockets open
  const loop = watchLoopDelay();
  const report = (final = false): ShareReport => ({
    ...toReport(stats, cpuStart, final),
    loopDelayP99Ms: loop.p99Ms(),
  });
  const progress = setInterval(() => send({ type: 'progress', report: report() }), 1000);
  await runShare(await opts, stats, abort.signal);
  clearInterval(progress);
  if (process.connected) {
    send({ type: 'done', report: report(true) });
    process.disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`soak worker: ${(err as Error).stack ?? err}`);
    process.exit(1);
  });
}
