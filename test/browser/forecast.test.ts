// Forecasts on the dashboard in real Chromium against a live demo server: the Prices tab's forecast (actuals solid,
// P5MIN and pre-dispatch dashed, their run times in the note) moves on when the demo appends an interval with its new
// run, and the NEM tab lists the newest pre-dispatch run with the change since the one before. Screenshots go to
// test-artifacts/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../bench/chromium.ts';
import { NEM_OFFSET_S } from '../../shared/nem.ts';
import { startServer, type TestServer } from './harness.ts';
import { deepText, feed, waitForCharts, watchErrors } from './page-probe.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
let server: TestServer;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer({ live: true }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await server?.remove();
});

async function open(path: string) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, timezoneId: 'Europe/London' });
  pages.push(page);
  const watch = watchErrors(page);
  await page.goto(server.base + path);
  return { page, errors: watch.errors };
}

/** A chart's note, series labels, dashes and data, found by heading inside a tab. */
function chart(page: Page, tab: string, heading: string) {
  return page.evaluate(
    ([tab, heading]) => {
      const root = document.querySelector('nem-app')!.shadowRoot!.querySelector(tab)!.shadowRoot!;
      const el = [...root.querySelectorAll('nem-chart')].find(
        (c) => (c as unknown as { heading: string }).heading === heading,
      ) as unknown as {
        note: string;
        chart: { data: (number | null)[][]; series: { label?: string; dash?: number[] }[] };
      };
      const u = el.chart;
      return {
        note: el.note,
        labels: u.series.slice(1).map((s) => s.label ?? ''),
        dashed: u.series.slice(1).map((s) => (s.dash ?? []).length > 0),
        data: u.data.map((c) => [...c]),
      };
    },
    [tab, heading] as const,
  );
}

/** The NEM tab's pre-dispatch table: its note and its text. */
function table(page: Page) {
  return page.evaluate(() => {
    const root = document.querySelector('nem-app')!.shadowRoot!.querySelector('tab-nem')!.shadowRoot!;
    const el = [...root.querySelectorAll('nem-table')].find(
      (t) => (t as unknown as { heading: string }).heading === 'Pre-dispatch',
    ) as unknown as { note: string; shadowRoot: ShadowRoot } | undefined;
    return { note: el?.note ?? '', text: (el?.shadowRoot as unknown as HTMLElement | undefined)?.textContent ?? '' };
  });
}

/** "14:35" in NEM time, as the dashboard writes a run's time. */
const clock = (ts: number) => new Date((ts + NEM_OFFSET_S) * 1000).toISOString().slice(11, 16);

describe('forecasts on the dashboard', () => {
  it('draws the forecast beside the actuals and moves it on with the next run', async () => {
    const { page, errors } = await open('/?tab=prices&regions=SA1&range=24h');
    await waitForCharts(page, 3);
    const before = await chart(page, 'tab-prices', 'Forecast');
    expect(before.labels).toEqual([
      'Price',
      'P5MIN price',
      'Pre-dispatch price',
      'Demand',
      'P5MIN demand',
      'Pre-dispatch demand',
    ]);
    expect(before.dashed).toEqual([false, true, true, false, true, true]);
    const count = (k: number) => before.data[k].filter((v) => v !== null).length;
    expect(count(1)).toBe(6 * 12); // the actual prices of the last 6 hours
    expect(count(2)).toBe(12); // a P5MIN run
    expect(count(3)).toBeGreaterThan(20); // pre-dispatch half hours, past the end of the actuals
    const wm = Date.parse((await feed(page)).watermark!) / 1000;
    expect(before.note).toContain(`P5MIN run ${clock(wm - 300)}`);
    expect(before.note).toMatch(/pre-dispatch run \d\d:\d\d NEM/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTIFACTS, 'forecast-prices.png'), fullPage: true });

    // The demo appends the next interval, and with it the P5MIN run it publishes: the panel is pushed.
    await server.nudge();
    await expect
      .poll(async () => (await chart(page, 'tab-prices', 'Forecast')).note)
      .toContain(`P5MIN run ${clock(wm)}`);
    expect(errors).toEqual([]);
  }, 240_000);

  it('lists the newest pre-dispatch run on the NEM tab, with the change since the run before', async () => {
    const { page, errors } = await open('/?tab=nem&region=NEM');
    await waitForCharts(page, 6);
    await expect.poll(async () => (await table(page)).note).toMatch(/run \d\d:\d\d NEM · change since \d\d:\d\d/);
    const { text } = await table(page);
    for (const r of ['NSW', 'QLD', 'VIC', 'SA', 'TAS']) expect(text).toContain(`${r} $/MWh`);
    expect(text).toMatch(/[▲▼]/); // some half hours moved since the run before
    expect((await deepText(page, 'tbody tr')).length).toBeGreaterThan(20);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTIFACTS, 'forecast-predispatch.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 240_000);
});
