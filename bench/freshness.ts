// Freshness over NEMWEB (#15): from a file appearing in a NEMWEB-like listing to the browser showing that interval
// (the dashboard's header holding its watermark, seen at an animation frame) and to an SDK subscriber holding it,
// with the poller following AEMO's rhythm (server/live/rhythm.ts) against the old fixed 30 s poll, in the same run.
// A real server in this process (LIVE=http on loopback, an empty store), real Chromium on the NEM tab, a real SDK
// subscriber over ws. AEMO publishes each interval some seconds after it ends; here the poller's wall clock is set,
// before each file, to 8 s after that interval's end (so 20 intervals take minutes, not 100) and the file appears at a
// random moment of the poller's period (0–2 s in the rhythm's fast window, 0–30 s for the fixed poll), as AEMO's
// files do, whenever it polls.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { ensureClientBuilt } from '../client/build.ts';
import { NemClient } from '../client/sdk/client.ts';
import { startApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/log.ts';
import { toNemIso } from '../shared/nem.ts';
import { launchChromium } from './chromium.ts';
import { dispatchIs } from './nemweb/files.ts';
import { nemwebSite } from './nemweb/site.ts';
import type { BenchContext, BenchResult } from './types.ts';

const S0 = Date.UTC(2026, 3, 1, 0, 5) / 1000 - 36000; // any 5-minute boundary
const FOLDER = 'DispatchIS_Reports';

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** Whether the dashboard's header shows the watermark `iso` (run in the page). */
const shows = (iso: string) =>
  (document.querySelector('nem-app')?.shadowRoot?.querySelector('live-indicator') as { watermark?: string } | null)
    ?.watermark === iso;

interface Latencies {
  /** ms from each file's appearance to the browser showing its interval */
  page: number[];
  /** and to the SDK subscriber's push of it */
  sub: number[];
}

async function measure(
  ctx: BenchContext,
  browser: Browser,
  name: string,
  rhythm: boolean,
  intervals: number,
): Promise<Latencies> {
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
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const seen = new Map<number, number>();
  const out: Latencies = { page: [], sub: [] };
  try {
    client.sub('prices.current', {}, { onUpdate: (u) => seen.set(u.data.time, performance.now()) });
    await page.goto(`${app.url}/?tab=nem&region=NEM&range=24h`);
    await page.waitForFunction(shows, toNemIso(S0 + 300), { timeout: 60_000 });
    for (let k = 1; k <= intervals; k++) {
      const ts = S0 + 300 + k * 300;
      simMs = (ts + 8) * 1000;
      simSetAt = performance.now();
      await sleep(Math.random() * (rhythm ? 2000 : 30_000));
      site.feeds.get(FOLDER)!.push(dispatchIs(ts));
      const published = performance.now();
      const [pageMs, subMs] = await Promise.all([
        page
          .waitForFunction(shows, toNemIso(ts), { polling: 'raf', timeout: 120_000 })
          .then(() => performance.now() - published),
        (async () => {
          while (!seen.has(ts)) await sleep(10);
          return seen.get(ts)! - published;
        })(),
      ]);
      out.page.push(pageMs);
      out.sub.push(subMs);
      ctx.log(
        `freshness ${name}: interval ${k}/${intervals}: browser ${Math.round(pageMs)} ms, subscriber ${Math.round(subMs)} ms`,
      );
    }
  } finally {
    await page.close();
    client.close();
    await app.close();
    await site.close();
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.quick ? 5 : 20;
  await ensureClientBuilt();
  const browser = await launchChromium();
  let rhythm: Latencies;
  let fixed: Latencies;
  try {
    rhythm = await measure(ctx, browser, 'rhythm', true, n);
    fixed = await measure(ctx, browser, 'fixed', false, n);
  } finally {
    await browser.close();
  }
  const row = (to: keyof Latencies, q: number, label: string, goal?: string): BenchResult => {
    const value = Math.round(quantile(rhythm[to], q)) / 1000;
    const baseline = Math.round(quantile(fixed[to], q)) / 1000;
    return {
      name: `NEMWEB freshness ${label} (file listed → ${to === 'page' ? 'browser shows it' : 'subscriber'})`,
      value,
      unit: 's',
      baseline,
      ratio: Math.round((baseline / value) * 10) / 10,
      goal,
      note: `${n} intervals; baseline: a fixed 30 s poll; ratio = baseline ÷ rhythm`,
    };
  };
  return [row('page', 0.5, 'p50'), row('page', 0.95, 'p95', '≤ 5 s'), row('sub', 0.5, 'p50'), row('sub', 0.95, 'p95')];
}
