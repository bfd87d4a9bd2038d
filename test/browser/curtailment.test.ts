// The Curtailment tab in real Chromium against a real (live, nudged) server on the two-day demo: its panels draw the
// server's answers, its view (region, range, resolution) lives in the URL and comes back on reload and back, every
// panel's CSV holds its data, a new interval is pushed into it, and it reads in both themes (screenshots to
// test-artifacts/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../bench/chromium.ts';
import { startServer, type TestServer } from './harness.ts';
import { charts, deepText, feed, waitForCharts, watchErrors } from './page-probe.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const HEADINGS = ['Wind available vs cleared', 'Solar available vs cleared', 'Time of day'];

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer({ live: true }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.remove();
});

async function open(path: string, colorScheme: 'light' | 'dark' = 'light') {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme, acceptDownloads: true });
  const watch = watchErrors(page);
  await page.goto(server.base + path);
  return { page, errors: watch.errors };
}
const search = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => !(document.querySelector('nem-app') as unknown as { feed: { loading: boolean } }).feed.loading,
    undefined,
    { timeout: 60_000 },
  );
}
/** Waits long enough for a cold answer on a loaded machine. */
const slow = { timeout: 60_000 };
/** The rows of the table headed `heading`, as cell texts. */
function tableRows(page: Page, heading: string): Promise<string[][]> {
  return page
    .locator('nem-table', { has: page.locator('h3', { hasText: heading }) })
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
}
async function csvOf(page: Page, button: ReturnType<Page['locator']>): Promise<{ name: string; lines: string[] }> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const lines = readFileSync((await download.path())!, 'utf8')
    .trimEnd()
    .split('\r\n');
  return { name: download.suggestedFilename(), lines };
}

describe('Curtailment tab', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`draws every panel from the server's answer (${scheme})`, async () => {
      const { page, errors } = await open('/?tab=curtailment&region=NEM&range=7d', scheme);
      const got = await waitForCharts(page, 3);
      expect(got.map((c) => c.heading)).toEqual(HEADINGS);
      expect(got[0].labels).toEqual(['Wind available (UIGF)', 'Wind cleared']);
      expect(got[2].labels).toEqual(['Wind', 'Solar']);
      expect(got[2].points).toBe(24);
      expect((await feed(page)).kind).toBe('tab.curtailment');
      await expect.poll(async () => (await tableRows(page, 'Most curtailed units')).length, slow).toBeGreaterThan(5);
      const prices = await tableRows(page, 'At negative prices');
      expect(prices.map((r) => r[0])).toEqual(['Below $0', '$0 or above']);
      const figures = await deepText(page, '.figure .value');
      expect(figures).toHaveLength(2);
      for (const f of figures) expect(f).toMatch(/^[\d,]+ MWh$/);
      expect(await page.locator('[role=tab][aria-selected=true]').innerText()).toBe('Curtailment');
      expect(await page.locator('select[aria-label=Resolution]').inputValue()).toBe('auto');
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(ARTIFACTS, `curtailment-tab-${scheme}.png`), fullPage: true });
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      expect(errors).toEqual([]);
    }, 120_000);
  }

  it('keeps region, range and resolution in the URL: a deep link, the controls, reload and back', async () => {
    const { page, errors } = await open('/?tab=curtailment&region=SA1&range=24h&resolution=30m');
    const [wind] = await waitForCharts(page, 3);
    expect(search(page)).toMatchObject({ tab: 'curtailment', region: 'SA1', range: '24h', resolution: '30m' });
    expect(wind.points).toBeLessThanOrEqual(49); // half hours over a day
    expect(await page.locator('button[data-region=SA1]').getAttribute('aria-pressed')).toBe('true');
    const units = await tableRows(page, 'Most curtailed units');
    for (const r of units) expect(r[2]).toBe('South Australia');

    await page.locator('button[data-region=QLD1]').click();
    await expect.poll(() => search(page).region).toBe('QLD1');
    await settled(page);
    await expect.poll(async () => (await tableRows(page, 'Most curtailed units'))[0]?.[2], slow).toBe('Queensland');
    await page.locator('select[aria-label=Resolution]').selectOption('5m');
    await expect.poll(() => search(page).resolution).toBe('5m');
    await settled(page);
    await expect.poll(async () => (await charts(page))[0].points, slow).toBeGreaterThan(200);
    const qld = (await charts(page))[0].checksum;

    await page.reload();
    await waitForCharts(page, 3);
    expect(search(page)).toMatchObject({ tab: 'curtailment', region: 'QLD1', range: '24h', resolution: '5m' });
    expect(await page.locator('select[aria-label=Resolution]').inputValue()).toBe('5m');
    expect((await charts(page))[0].checksum).toBe(qld);

    await page.goBack();
    await expect.poll(() => search(page).resolution).toBe('30m');
    await page.goBack();
    await expect.poll(() => search(page).region).toBe('SA1');
    await settled(page);
    expect((await charts(page))[0].checksum).toBe(wind.checksum);
    expect(errors).toEqual([]);
  });

  it('every chart and table downloads its data as CSV', async () => {
    const { page, errors } = await open('/?tab=curtailment&region=NEM&range=24h');
    const got = await waitForCharts(page, 3);
    const chartCsv = await csvOf(page, page.locator('nem-chart').first().locator('button', { hasText: 'CSV' }));
    expect(chartCsv.name).toMatch(/^curtailment-wind-NEM-24h\.csv$/);
    expect(chartCsv.lines[0]).toBe('time_nem,Wind available (UIGF) (MW),Wind cleared (MW)');
    expect(chartCsv.lines).toHaveLength(got[0].points + 1);
    const hours = await csvOf(page, page.locator('nem-chart').nth(2).locator('button', { hasText: 'CSV' }));
    expect(hours.lines).toHaveLength(25);

    const table = page.locator('nem-table', { has: page.locator('h3', { hasText: 'Most curtailed units' }) });
    const units = await csvOf(page, table.locator('button', { hasText: 'CSV' }));
    expect(units.lines[0].split(',')).toContain('Curtailed MWh');
    expect(units.lines.length - 1).toBe((await tableRows(page, 'Most curtailed units')).length);
    const prices = page.locator('nem-table', { has: page.locator('h3', { hasText: 'At negative prices' }) });
    expect((await csvOf(page, prices.locator('button', { hasText: 'CSV' }))).lines).toHaveLength(3);
    const totals = await csvOf(page, page.locator('section[aria-label="Curtailment in this window"] button'));
    expect(totals.lines[0]).toBe('fuel,available MWh,curtailed MWh,curtailed % of available');
    expect(totals.lines.slice(1).map((l) => l.split(',')[0])).toEqual(['Wind', 'Solar']);
    expect(errors).toEqual([]);
  });

  it('a new interval is pushed into the open tab and redraws it in place', async () => {
    const { page, errors } = await open('/?tab=curtailment&region=NEM&range=24h');
    const before = await waitForCharts(page, 3);
    const start = await feed(page);
    for (let i = 0; i < 120 && (await feed(page)).pushes <= start.pushes; i++) {
      if (i % 10 === 0) await server.nudge();
      await page.waitForTimeout(250);
    }
    expect((await feed(page)).pushes).toBeGreaterThan(start.pushes);
    await expect.poll(async () => (await charts(page))[0].lastX, slow).toBeGreaterThan(before[0].lastX!);
    const after = await charts(page);
    expect(after.map((c) => c.instance)).toEqual(before.map((c) => c.instance));
    expect(errors).toEqual([]);
  });
});
