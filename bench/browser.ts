// Browser benchmark: the client bundle's size, and time from navigation to the first painted chart with a warm
// cache (browser HTTP cache and server cache both warm), in real Chromium against the real server.
import type { Page } from 'playwright-core';
import { ensureClientBuilt, BUDGET_GZIP_BYTES } from '../client/build.ts';
import { spawnServer } from '../soak/spawn-server.ts';
import { launchChromium } from './chromium.ts';
import type { BenchContext, BenchResult } from './types.ts';

const MARK = 'nem:first-chart';

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const { manifest } = await ensureClientBuilt();
  const js = manifest.files[manifest.entry];
  const results: BenchResult[] = [
    {
      name: 'browser initial JS, gzip',
      value: round(js.gzip / 1024),
      unit: 'KB',
      goal: `≤ ${BUDGET_GZIP_BYTES / 1024} KB`,
      note: `${manifest.entry}, ${round(js.bytes / 1024)} KB minified`,
    },
    { name: 'browser initial JS, brotli', value: round(js.br / 1024), unit: 'KB' },
  ];
  const server = await spawnServer({
    dataDir: ctx.dataDir,
    cacheDir: ctx.cacheDir,
    demoDays: ctx.demoDays,
    replaySeconds: 0,
    warm: true,
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const runs = ctx.quick ? 3 : 10;
    for (const tab of ['nem', 'generation']) {
      const url = `${server.base}/?tab=${tab}&region=NEM&range=7d`;
      await firstChartMs(page, url); // warms the HTTP cache and the server's answer for this view
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await firstChartMs(page, url));
      times.sort((a, b) => a - b);
      ctx.log(`bench: browser ${tab}: first chart ${times.map((t) => t.toFixed(0)).join(' ')} ms`);
      results.push(
        {
          name: `browser first chart painted, ${tab} tab, warm (median of ${runs})`,
          value: round(times[Math.floor(runs / 2)]),
          unit: 'ms',
          goal: '≤ 1000 ms',
        },
        {
          name: `browser first chart painted, ${tab} tab, warm (worst of ${runs})`,
          value: round(times[runs - 1]),
          unit: 'ms',
          goal: '≤ 1000 ms',
        },
      );
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  return results;
}

/** Navigates and returns ms from navigation start to the frame after the first uPlot chart was built. */
async function firstChartMs(page: Page, url: string): Promise<number> {
  await page.goto(url);
  await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, MARK, { timeout: 30_000 });
  return page.evaluate((m) => performance.getEntriesByName(m)[0].startTime, MARK);
}

const round = (v: number) => Math.round(v * 10) / 10;
