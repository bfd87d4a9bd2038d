// Freshness over NEMWEB (#15): from a file appearing in a NEMWEB-like listing to a subscriber holding that interval,
// with the poller following AEMO's rhythm (server/live/rhythm.ts) against the old fixed 30 s poll, in the same run.
// A real server in this process (LIVE=http on loopback, an empty store), a real SDK subscriber over ws. AEMO publishes
// each interval some seconds after it ends; here the poller's wall clock is set, before each file, to 8 s after that
// interval's end (so 20 intervals take minutes, not 100) and the file appears at a random moment of the poller's
// period (0–2 s in the rhythm's fast window, 0–30 s for the fixed poll), as AEMO's files do, whenever it polls.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { NemClient } from '../client/sdk/client.ts';
import { startApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/log.ts';
import { dispatchIs } from './nemweb/files.ts';
import { nemwebSite } from './nemweb/site.ts';
import type { BenchContext, BenchResult } from './types.ts';

const S0 = Date.UTC(2026, 3, 1, 0, 5) / 1000 - 36000; // any 5-minute boundary
const FOLDER = 'DispatchIS_Reports';

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** Latencies (ms) from each file's appearance to the subscriber's push of its interval. */
async function measure(ctx: BenchContext, name: string, rhythm: boolean, intervals: number): Promise<number[]> {
  const site = await nemwebSite();
  const dir = join(ctx.scratchDir, name);
  mkdirSync(dir, { recursive: true });
  let simMs = (S0 + 300 + 8) * 1000;
  let simSetAt = performance.now();
  const now = () => simMs + (performance.now() - simSetAt);
  site.feeds.set(FOLDER, [dispatchIs(S0), dispatchIs(S0 + 300)]);
  const config = loadConfig([], {
    DATA_DIR: join(dir, 'data'),
    CACHE_DIR: join(dir, 'cache'),
    PORT: '0',
    HOST: '127.0.0.1',
    WARM: '0',
    LIVE: `${site.base}/${FOLDER}/`,
    LOG_LEVEL: 'warn',
  });
  const app = await startApp(config, {
    log: createLogger('warn'),
    live: { http: { now, rhythm, pollMs: 30_000, fastMs: 2000 } },
  });
  const client = new NemClient({ url: app.wsUrl, WebSocket });
  const seen = new Map<number, number>();
  const out: number[] = [];
  try {
    client.sub('prices.current', {}, { onUpdate: (u) => seen.set(u.data.time, performance.now()) });
    for (let k = 1; k <= intervals; k++) {
      const ts = S0 + 300 + k * 300;
      simMs = (ts + 8) * 1000;
      simSetAt = performance.now();
      await sleep(Math.random() * (rhythm ? 2000 : 30_000));
      site.feeds.get(FOLDER)!.push(dispatchIs(ts));
      const published = performance.now();
      while (!seen.has(ts)) await sleep(10);
      out.push(seen.get(ts)! - published);
      ctx.log(`freshness ${name}: interval ${k}/${intervals} in ${Math.round(out[out.length - 1])} ms`);
    }
  } finally {
    client.close();
    await app.close();
    await site.close();
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.quick ? 5 : 20;
  const rhythm = await measure(ctx, 'rhythm', true, n);
  const fixed = await measure(ctx, 'fixed', false, n);
  const row = (q: number, label: string, goal?: string): BenchResult => {
    const value = Math.round(quantile(rhythm, q)) / 1000;
    const baseline = Math.round(quantile(fixed, q)) / 1000;
    return {
      name: `NEMWEB freshness ${label} (file listed → subscriber)`,
      value,
      unit: 's',
      baseline,
      ratio: Math.round((baseline / value) * 10) / 10,
      goal,
      note: `${n} intervals; baseline: a fixed 30 s poll; ratio = baseline ÷ rhythm`,
    };
  };
  return [row(0.5, 'p50'), row(0.95, 'p95', '≤ 5 s')];
}
