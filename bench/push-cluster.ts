// New-interval push latency with WORKERS=2 (production mode): the same idle subscribers as bench/push.ts, but the
// server is `npm start`'s supervisor and two worker processes on one port, and the demo feed appends an interval
// every few seconds by itself. The supervisor logs each batch (`live: new data pushed`, pino `time` and
// `latencyMs` from commit to the last worker's acknowledgement); commit = time − latencyMs, on the wall clock, and
// each subscriber's arrival is put on the same clock, so latency = arrival − commit per socket, as in push.ts.
import { join } from 'node:path';
import { spawnServer } from '../soak/spawn-server.ts';
import { latencyRows, openSubscribers, pct, r2, TAB_MIX, TICKER, type Question } from './push.ts';
import type { BenchContext, BenchResult } from './types.ts';

const REPLAY_SECONDS = 3;

interface Pushed {
  /** pino's timestamp: epoch ms, or ISO-8601 (server/log.ts). */
  time: number | string;
  latencyMs: number;
  watermark: string;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.quick ? 1000 : 10_000;
  const rounds = ctx.quick ? 2 : 5;
  // The server builds its 2-day demo into the empty scratch dir, as `npm start` does.
  const server = await spawnServer({
    dataDir: join(ctx.scratchDir, 'data'),
    cacheDir: join(ctx.scratchDir, 'cache'),
    demoDays: 2,
    replaySeconds: REPLAY_SECONDS,
    warm: false,
    env: { WORKERS: '2', LOG_LEVEL: 'info', MAX_SESSIONS: '40000' },
  });
  const batches: Pushed[] = [];
  let partial = '';
  server.child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('live: new data pushed')) continue;
      try {
        const j = JSON.parse(line) as Pushed;
        batches.push(j);
      } catch {
        // a pretty-printed or partial line: not ours
      }
    }
  });
  const out: BenchResult[] = [];
  try {
    for (const [mix, subs, delta] of [
      ['ticker', TICKER, false],
      ['tab mix, deltas', TAB_MIX, true],
    ] as const) {
      out.push(...(await measure(ctx, server.url, n, rounds, mix, subs, delta, batches)));
    }
  } finally {
    await server.stop();
  }
  return out;
}

async function measure(
  ctx: BenchContext,
  url: string,
  n: number,
  rounds: number,
  mix: string,
  subs: Question[],
  delta: boolean,
  batches: Pushed[],
): Promise<BenchResult[]> {
  const subscribers = await openSubscribers(url, n, subs, delta);
  const procs = subscribers.children.length;
  // push-client stamps arrivals with hrtime (CLOCK_MONOTONIC, shared by processes); the log with Date.now().
  const wallMinusMono = Date.now() - Number(process.hrtime.bigint()) / 1e6;
  const latencies: number[] = [];
  const server: number[] = [];
  let missing = 0;
  try {
    ctx.log(
      `push-cluster: ${n.toLocaleString('en')} idle subscribers (${mix}) on WORKERS=2; ${rounds} intervals, one every ${REPLAY_SECONDS} s`,
    );
    // Start each round just after a batch, so the next push is a whole new one.
    await waitForBatch(batches, batches.length + 1);
    for (let r = 0; r < rounds; r++) {
      const seen = batches.length;
      await subscribers.arm();
      const got = await subscribers.collect(REPLAY_SECONDS * 4000);
      const b = await waitForBatch(batches, seen + 1);
      const commit = (typeof b.time === 'string' ? Date.parse(b.time) : b.time) - b.latencyMs;
      server.push(b.latencyMs);
      const times = got.flatMap((g) => g.times.map((t) => t / 1e6 + wallMinusMono - commit));
      missing += got.reduce((s, g) => s + g.missing, 0);
      latencies.push(...times);
      ctx.log(
        `push-cluster: round ${r + 1}: server ${b.latencyMs.toFixed(1)} ms; arrivals ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms after commit`,
      );
    }
  } finally {
    await subscribers.close();
  }
  latencies.sort((a, b) => a - b);
  server.sort((a, b) => a - b);
  const label = `${n.toLocaleString('en')} idle subscribers, ${mix}, WORKERS=2`;
  const results: BenchResult[] = [
    ...latencyRows(
      label,
      latencies,
      n,
      `${rounds} intervals; ${procs} client process(es) on the same cores; clocks: wall (log) vs monotonic (arrivals), ±1 ms`,
    ),
    {
      name: `server: commit → every worker's last socket written, median (${label})`,
      value: r2(pct(server, 50)),
      unit: 'ms',
      note: "the supervisor's nemlive_push_latency_seconds",
    },
  ];
  if (missing > 0) results.push({ name: `pushes missing (${label})`, value: missing, unit: 'sockets', goal: '0' });
  return results;
}

/** The `count`-th batch the supervisor logged (waiting for it), within a few intervals. */
async function waitForBatch(batches: Pushed[], count: number): Promise<Pushed> {
  const deadline = Date.now() + REPLAY_SECONDS * 5000;
  while (batches.length < count) {
    if (Date.now() > deadline) throw new Error(`push-cluster: no new batch logged in ${REPLAY_SECONDS * 5} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return batches[count - 1];
}
