// Alert delivery (issue 17: p95 ≤ 100 ms at 10,000 subscribers): from the commit of an interval whose price fires an
// event to the last `alerts` subscriber's socket. The subscribers, the clock mapping and the latency rows are
// bench/push.ts's: idle raw sockets in forked processes, each subscribed to `alerts` with one rule. Each round commits
// an interval at $100 (re-arming the level: no event the rule asks for), then one at $1,500 in SA1 through the real
// pipeline (event derived and stored, then pushed: server/alerts/), and every socket records its push's arrival.
import { join } from 'node:path';
import { startApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/log.ts';
import { REGIONS } from '../shared/nem.ts';
import { floorRow, latencyRows, openSubscribers, pct, r2 } from './push.ts';
import type { BenchContext, BenchResult } from './types.ts';

const RULES = ['SA1:price.above:1000'];

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const sizes = ctx.quick ? [1000] : [1000, 10_000];
  const rounds = ctx.quick ? 2 : 5;
  const config = loadConfig([], {
    DATA_DIR: join(ctx.scratchDir, 'data'),
    DEMO_DAYS: '2',
    CACHE_DIR: join(ctx.scratchDir, 'cache'),
    PORT: '0',
    HOST: '127.0.0.1',
    WARM: '0',
    LIVE: 'demo',
    REPLAY_SECONDS: '86400', // the benchmark commits intervals itself
    LOG_LEVEL: 'warn',
    MAX_SESSIONS: '20000',
  });
  const app = await startApp(config, { log: createLogger('warn') });
  const pipeline = app.live?.pipeline;
  if (!pipeline) throw new Error('alerts bench: the app started no live pipeline (LIVE=demo expected)');
  const conn = await app.instance.connect();
  /** Stores the next interval (SA1 at `sa`, the rest at $50) and runs the pipeline from its commit; returns then. */
  const commit = async (sa: number) => {
    const ts = app.market.watermark + 300;
    await conn.run(
      `INSERT INTO price VALUES ${REGIONS.map((r) => `(${ts}, '${r}', ${r === 'SA1' ? sa : 50}, 1000)`).join(', ')}`,
    );
    const committedAt = performance.now();
    await pipeline.onBatch({
      source: 'bench',
      files: [],
      rows: {},
      window: { minTs: ts, maxTs: ts },
      ingestedAt: committedAt,
    });
    return committedAt;
  };
  const out: BenchResult[] = [];
  try {
    for (const n of sizes) {
      const subscribers = await openSubscribers(app.wsUrl, n, [{ kind: 'alerts', params: { rules: RULES } }], false);
      const offsetNs = Number(process.hrtime.bigint()) - performance.now() * 1e6;
      const latencies: number[] = [];
      const serverMs: number[] = [];
      let missing = 0;
      let floor: BenchResult | undefined;
      let frameBytes = 0;
      try {
        ctx.log(
          `alerts: ${n.toLocaleString('en')} subscribers in ${subscribers.children.length} process(es); ${rounds} events`,
        );
        for (let r = 0; r < rounds; r++) {
          await commit(100);
          await subscribers.arm();
          const committedAt = await commit(1500);
          const written = await app.alerts.idle();
          frameBytes = Math.round(written.bytes / Math.max(1, written.sent));
          serverMs.push(performance.now() - committedAt);
          const got = await subscribers.collect(30_000);
          const committedNs = committedAt * 1e6 + offsetNs;
          for (const g of got) {
            if (g.wrong > 0) throw new Error(`alerts bench: ${g.wrong} sockets got a frame that was not a push`);
            missing += g.missing;
            for (const t of g.times) latencies.push((t - committedNs) / 1e6);
          }
          ctx.log(`alerts: round ${r + 1}: ${written.sent} sockets written, ${written.skipped} behind`);
          await pipeline.settled();
        }
        floor = await floorRow(app, subscribers, frameBytes, rounds, `${n.toLocaleString('en')} alert subscribers`);
      } finally {
        await subscribers.close();
      }
      latencies.sort((a, b) => a - b);
      serverMs.sort((a, b) => a - b);
      const label = `${n.toLocaleString('en')} alert subscribers`;
      const note = `${rounds} events × ${n} sockets; rule ${RULES.join(', ')}; commit → event stored → pushed`;
      out.push(
        ...latencyRows(label, latencies, n, note).map((row) => ({ ...row, name: row.name.replace('push', 'alert') })),
        {
          name: `server: commit → pipeline done (event derived, stored, written), median (${label})`,
          value: r2(pct(serverMs, 50)),
          unit: 'ms',
        },
      );
      if (floor) out.push(floor);
      if (missing > 0)
        out.push({ name: `alerts missing after 30 s (${label})`, value: missing, unit: 'sockets', goal: '0' });
    }
  } finally {
    conn.closeSync();
    await app.close();
  }
  return out;
}
