// The dashboard in real Chromium against a real server: every tab draws charts from real answers, deep links and
// controls drive the URL and the subscription, back/forward restore views, the axis is in NEM time whatever the
// browser's zone, tables sort and filter, and CSV downloads hold the chart's data. Screenshots go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { FUELS, NEM_OFFSET_S } from '../../shared/nem.ts';
import { launchChromium } from '../../bench/chromium.ts';
import { TABS } from '../../client/src/url-state.ts';
import { startServer, type TestServer } from './harness.ts';
import { charts, deepText, feed, waitForCharts, watchErrors } from './page-probe.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
/** Charts each tab draws (stations: output and its time of day, for the default station). */
const CHARTS: Record<string, number> = {
  nem: 6,
  generation: 7,
  prices: 3,
  stations: 2,
  generators: 0,
  curtailment: 3,
  batteries: 2,
};

let server: TestServer;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.remove();
});

async function open(path: string, opts: { timezoneId?: string; colorScheme?: 'light' | 'dark'; width?: number } = {}) {
  const page = await browser.newPage({
    viewport: { width: opts.width ?? 1440, height: 1000 },
    timezoneId: opts.timezoneId ?? 'Europe/London',
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  pages.push(page);
  const watch = watchErrors(page);
  await page.goto(server.base + path);
  return { page, errors: watch.errors };
}

const search = (page: Page) => new URL(page.url()).searchParams;
const span = (c: { firstX: number | null; lastX: number | null }) => (c.lastX ?? 0) - (c.firstX ?? 0);

async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => !(document.querySelector('nem-app') as unknown as { feed: { loading: boolean } }).feed.loading,
  );
}

describe('dashboard tabs', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`every tab renders its panels from the server's data (${scheme} theme) without console errors`, async () => {
      const { page, errors } = await open('/?tab=nem&region=NEM&range=7d', { colorScheme: scheme });
      for (const tab of Object.keys(CHARTS)) {
        await page.goto(`${server.base}/?tab=${tab}&region=NEM&range=7d`);
        const got = await waitForCharts(page, CHARTS[tab]);
        expect(got).toHaveLength(CHARTS[tab]);
        expect((await feed(page)).kind).toBe(`tab.${tab}`);
        for (const c of got) {
          expect(c.points, c.heading).toBeGreaterThan(0);
          expect(c.values, c.heading).toBeGreaterThan(0);
        }
        if (tab === 'nem' || tab === 'generation') {
          const gen = got.find((c) => c.heading === 'Generation by fuel')!;
          expect(gen.labels.length).toBeGreaterThan(2);
          const lines = ['Demand (underlying)', 'Demand (operational)'];
          for (const l of gen.labels) expect([...FUELS, ...lines]).toContain(l);
          expect(gen.labels.slice(-2)).toEqual(lines);
        }
        if (tab !== 'stations')
          await expect
            .poll(async () => (await deepText(page, 'tbody tr')).length, { message: `${tab} table rows` })
            .toBeGreaterThan(0);
        await page.waitForTimeout(300); // let the last frame paint before the screenshot
        await page.screenshot({ path: join(ARTIFACTS, `${tab}-${scheme}.png`), fullPage: true });
      }
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      expect(errors).toEqual([]);
    }, 300_000);
  }

  it('a deep link opens the view it names and keeps it in the address bar', async () => {
    const { page, errors } = await open('/?tab=prices&region=SA1&range=24h');
    const [price] = await waitForCharts(page, 2);
    expect(price.heading).toBe('Spot price');
    expect(price.labels).toEqual(['SA']);
    expect(span(price)).toBeLessThanOrEqual(86400);
    expect(price.points).toBeGreaterThan(200); // 24 h of 5-minute points
    await expect.poll(() => page.locator('[role=tab][aria-selected=true]').innerText()).toBe('Prices');
    expect(await page.locator('button[data-region=SA1]').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('button[data-range="24h"]').getAttribute('aria-pressed')).toBe('true');
    expect(Object.fromEntries(search(page))).toMatchObject({ tab: 'prices', region: 'SA1', range: '24h' });
    expect(await page.title()).toContain('Prices');
    expect(errors).toEqual([]);
  });

  it('region and range controls change the charts and the URL; back and forward restore each view', async () => {
    const { page, errors } = await open('/?tab=generation&region=NEM&range=7d');
    const [nem7d] = await waitForCharts(page, CHARTS.generation);

    await page.locator('button[data-region=SA1]').click();
    await expect.poll(() => search(page).get('region')).toBe('SA1');
    await settled(page);
    const [sa7d] = await waitForCharts(page, CHARTS.generation);
    expect(sa7d.checksum).not.toBe(nem7d.checksum);

    await page.locator('button[data-range="24h"]').click();
    await expect.poll(() => search(page).get('range')).toBe('24h');
    await settled(page);
    const [sa24h] = await waitForCharts(page, CHARTS.generation);
    expect(span(sa24h)).toBeLessThanOrEqual(86400);
    expect(span(sa24h)).toBeLessThan(span(sa7d));

    await page.goBack();
    await expect.poll(() => search(page).get('range')).toBe('7d');
    await settled(page);
    expect((await charts(page))[0].checksum).toBe(sa7d.checksum);
    expect(await page.locator('button[data-range="7d"]').getAttribute('aria-pressed')).toBe('true');

    await page.goBack();
    await expect.poll(() => search(page).get('region')).toBe('NEM');
    await settled(page);
    expect((await charts(page))[0].checksum).toBe(nem7d.checksum);

    await page.goForward();
    await expect.poll(() => search(page).get('region')).toBe('SA1');
    await settled(page);
    expect((await charts(page))[0].checksum).toBe(sa7d.checksum);
    expect(errors).toEqual([]);
  });

  it('a custom from/to, entered in NEM time, becomes the window and the URL', async () => {
    const { page, errors } = await open('/?tab=prices&region=NSW1&range=7d');
    const [week] = await waitForCharts(page, 2);
    await page.locator('button[data-range=custom]').click();
    await expect.poll(() => search(page).get('range')).toBe('custom');
    // Six hours ending at the last interval, typed as NEM wall-clock time.
    const to = week.lastX!;
    const from = to - 6 * 3600;
    const nem = (t: number) => new Date((t + NEM_OFFSET_S) * 1000).toISOString().slice(0, 16);
    await page.locator('input[data-edge=from]').fill(nem(from));
    await expect.poll(() => search(page).get('from')).toBe(nem(from));
    await settled(page);
    const [six] = await waitForCharts(page, 2);
    expect(six.firstX).toBeGreaterThan(from);
    expect(six.lastX).toBeLessThanOrEqual(to);
    expect(six.points).toBeLessThanOrEqual(72);
    expect(errors).toEqual([]);
  });

  it('battery charging stacks below zero while generation stacks above it', async () => {
    const { page, errors } = await open('/?tab=generation&region=NEM&range=7d');
    await waitForCharts(page, CHARTS.generation);
    const layers = await page.evaluate(() => {
      const tab = document.querySelector('nem-app')!.shadowRoot!.querySelector('tab-generation')!.shadowRoot!;
      const u = (
        tab.querySelector('nem-chart') as unknown as {
          chart: { data: (number | null)[][]; series: { label?: string }[] };
        }
      ).chart;
      return u.series.slice(1).map((s, i) => {
        const vals = u.data[i + 1].filter((v): v is number => v !== null);
        return { label: s.label, min: Math.min(...vals), max: Math.max(...vals) };
      });
    });
    const below = layers.filter((l) => l.min < 0);
    expect(below.map((l) => l.label)).toContain('Battery');
    for (const l of below) expect(l.max, `${l.label} stays at or under zero`).toBeLessThanOrEqual(0);
    // The positive stack never dips below zero however much charges.
    const above = layers.filter((l) => l.min >= 0);
    expect(above.length).toBeGreaterThan(3);
    expect(errors).toEqual([]);
  });

  it('the theme toggle switches between light and dark and is remembered', async () => {
    const { page, errors } = await open('/?tab=nem&region=NEM&range=7d', { colorScheme: 'light' });
    await waitForCharts(page, CHARTS.nem);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await page.locator('button[aria-label="Toggle dark theme"]').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(14, 17, 21)');
    await page.reload();
    await waitForCharts(page, CHARTS.nem);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(errors).toEqual([]);
  });

  it('a window without data shows empty states, not blank or loading charts', async () => {
    const { page, errors } = await open(
      '/?tab=generation&region=NEM&range=custom&from=2001-01-01T00:00&to=2001-01-02T00:00',
    );
    await expect
      .poll(
        async () => (await deepText(page, '[role=status]')).filter((t) => t === 'No data for this selection').length,
        { timeout: 60_000 }, // a cold tab under the whole suite's load on 2 cores
      )
      .toBe(CHARTS.generation);
    expect(await deepText(page, '[role=status]')).toContain('No rows for this selection');
    expect((await charts(page)).every((c) => c.instance === 0)).toBe(true); // no uPlot drawn over nothing
    expect(errors).toEqual([]);
  });

  it('a link to a unit that does not exist says so, and the finder still leads to a real one', async () => {
    const { page, errors } = await open('/?tab=stations&region=NEM&range=7d&duid=NOPE1');
    const banner = page.locator('.banner[role=alert]');
    await expect.poll(() => banner.count()).toBe(1);
    expect(await banner.innerText()).toMatch(/^This view is not available: .*NOPE1/);
    await expect.poll(async () => (await deepText(page, 'li .duid')).length).toBeGreaterThan(0);
    const duid = (await deepText(page, 'li .duid'))[0];
    await page.locator('li button', { hasText: duid }).first().click();
    await expect.poll(() => search(page).get('duid')).toBe(duid);
    await waitForCharts(page, 2);
    expect(await banner.count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('the tabs are a keyboard tablist: arrows, Home and End move between them', async () => {
    const { page, errors } = await open('/?tab=nem&region=NEM&range=7d');
    await waitForCharts(page, CHARTS.nem);
    await page.locator('#tab-nem').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => search(page).get('tab')).toBe('generation');
    expect(await page.evaluate(() => document.querySelector('nem-app')!.shadowRoot!.activeElement?.id)).toBe(
      'tab-generation',
    );
    const last = TABS[TABS.length - 1].id;
    await page.keyboard.press('End');
    await expect.poll(() => search(page).get('tab')).toBe(last);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => search(page).get('tab')).toBe('nem');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => search(page).get('tab')).toBe(last);
    await page.keyboard.press('Home');
    await expect.poll(() => search(page).get('tab')).toBe('nem');
    expect(await page.locator('#tab-nem').getAttribute('tabindex')).toBe('0');
    expect(await page.locator('#tab-prices').getAttribute('tabindex')).toBe('-1');
    expect(errors).toEqual([]);
  });

  it('the time axis ticks on NEM hours and reads NEM time even in a browser at UTC+5:30', async () => {
    const { page, errors } = await open('/?tab=generation&region=NEM&range=24h', { timezoneId: 'Asia/Kolkata' });
    await waitForCharts(page, CHARTS.generation);
    const axis = await page.evaluate(() => {
      const app = document.querySelector('nem-app')!.shadowRoot!;
      const chart = app.querySelector('tab-generation')!.shadowRoot!.querySelector('nem-chart') as unknown as {
        chart: { axes: { _splits: number[]; _values: string[] }[] };
      };
      return { splits: chart.chart.axes[0]._splits, values: chart.chart.axes[0]._values };
    });
    expect(axis.splits.length).toBeGreaterThan(2);
    axis.splits.forEach((t, i) => {
      // In Kolkata's zone a local-time axis would tick on NEM half-hours.
      expect((t + NEM_OFFSET_S) % 3600, `tick ${t}`).toBe(0);
      const nemClock = new Date((t + NEM_OFFSET_S) * 1000).toISOString().slice(11, 16);
      expect(axis.values[i].startsWith(nemClock), `${axis.values[i]} vs ${nemClock}`).toBe(true);
    });
    expect(errors).toEqual([]);
  });

  it("a chart's CSV download holds its data, one row per point, times in NEM time", async () => {
    const { page, errors } = await open('/?tab=prices&region=NEM&range=24h');
    const [price] = await waitForCharts(page, 2);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('nem-chart').first().locator('button', { hasText: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^prices-.*\.csv$/);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(['time_nem', ...price.labels.map((l) => `${l} ($/MWh)`)].join(','));
    expect(lines).toHaveLength(price.points + 1);
    expect(lines[lines.length - 1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+10:00,/);
    expect(errors).toEqual([]);
  });

  it('stations: search by DUID, pick a unit, see its output against price', async () => {
    const { page, errors } = await open('/?tab=stations&region=NEM&range=7d');
    await waitForCharts(page, CHARTS.stations);
    const duid = (await deepText(page, 'li .duid'))[0];
    await page.locator('input[type=search]').fill(duid.slice(0, 4));
    await expect
      .poll(async () =>
        (await deepText(page, 'li .duid')).every((d) => d.toLowerCase().includes(duid.slice(0, 4).toLowerCase())),
      )
      .toBe(true);
    await page.locator('li button', { hasText: duid }).first().click();
    await expect.poll(() => search(page).get('duid')).toBe(duid);
    await settled(page);
    const [output] = await waitForCharts(page, 2);
    expect(output.heading).toBe('Output and price');
    expect(output.labels[0]).toBe('Output');
    expect(await page.locator('.title strong').innerText()).toBe(duid);
    expect(errors).toEqual([]);
  });

  it('generators: the grouped table sorts by a column and filters by fuel through the URL', async () => {
    const { page, errors } = await open('/?tab=generators&region=NEM&range=7d');
    await expect.poll(async () => (await deepText(page, 'tbody tr')).length).toBeGreaterThan(2);
    const revenue = page.locator('nem-table th', { hasText: 'Revenue' });
    await revenue.click();
    expect(await revenue.getAttribute('aria-sort')).toBe('descending');
    await revenue.press('Enter');
    expect(await revenue.getAttribute('aria-sort')).toBe('ascending');
    const groups = async () =>
      (await deepText(page, 'tr.group.l1 td:first-child')).map((t) => t.replace(/^[▾▸]\s*/, '').trim());
    expect(await groups()).toContain('Coal');
    await page.locator('button.chip', { hasText: /^Coal$/ }).click();
    await expect.poll(() => search(page).get('fuels')).toBeTruthy();
    expect(search(page).get('fuels')!.split(',')).not.toContain('Coal');
    await settled(page);
    await expect.poll(groups).not.toContain('Coal');
    expect(errors).toEqual([]);
  });

  it('batteries: fleet now, charts and table from data; a unit opens its state of charge through the URL; CSV', async () => {
    const { page, errors } = await open('/?tab=batteries&region=SA1&range=7d');
    const [fleet, arbitrage] = await waitForCharts(page, 2);
    expect(fleet.heading).toBe('Fleet charge and discharge');
    expect(fleet.labels).toEqual(['Discharging', 'Charging', 'State of charge', 'Storage']);
    expect(arbitrage.heading).toBe('Daily arbitrage');
    expect(arbitrage.points).toBeGreaterThanOrEqual(2); // a 7-day view's arbitrage covers 30 days: the demo has ~2
    const kpis = await deepText(page, '.kpi b');
    expect(kpis).toHaveLength(3);
    expect(kpis[2]).toMatch(/^\d+\.\d%$/);
    await expect.poll(async () => (await deepText(page, 'tbody tr')).length).toBeGreaterThan(2);
    expect((await deepText(page, 'tbody td:nth-child(2)')).every((t) => t.includes('South Australia'))).toBe(true);

    const units = page.locator('nem-table button.link');
    const duid = (await units.first().innerText()).trim();
    await units.first().click();
    await expect.poll(() => search(page).get('duid')).toBe(duid);
    const soc = async () => (await charts(page)).find((c) => c.heading === 'Output and state of charge');
    await expect.poll(async () => (await soc())?.values ?? 0).toBeGreaterThan(0);
    expect((await soc())!.labels).toEqual(['Output', 'State of charge']);

    // the URL holds the whole view: a reload opens the same unit in the same region and range
    await page.reload();
    await expect.poll(async () => (await soc())?.values ?? 0).toBeGreaterThan(0);
    expect(Object.fromEntries(search(page))).toMatchObject({ tab: 'batteries', region: 'SA1', range: '7d', duid });

    const [table] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('nem-table').locator('button', { hasText: 'CSV' }).click(),
    ]);
    expect(table.suggestedFilename()).toMatch(/^batteries-SA1-.*\.csv$/);
    const rows = readFileSync((await table.path())!, 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(rows[0].split(',').slice(0, 2)).toEqual(['Unit', 'Region']);
    expect(rows).toHaveLength((await deepText(page, 'tbody tr')).length + 1);
    const [chart] = await Promise.all([
      page.waitForEvent('download'),
      page
        .locator('nem-chart', { hasText: 'Fleet charge and discharge' })
        .locator('button', { hasText: 'CSV' })
        .click(),
    ]);
    const lines = readFileSync((await chart.path())!, 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe('time_nem,Discharging (MW),Charging (MW),State of charge (MWh),Storage (MWh)');
    expect(lines).toHaveLength(fleet.points + 1);

    await page.locator('button', { hasText: 'Close' }).click();
    await expect.poll(() => search(page).get('duid')).toBeNull();
    await expect.poll(async () => (await soc()) === undefined).toBe(true);
    expect(errors).toEqual([]);
  });

  it('batteries: a window without data shows empty states', async () => {
    const { page, errors } = await open(
      '/?tab=batteries&region=NEM&range=custom&from=2001-01-01T00:00&to=2001-01-02T00:00',
    );
    await expect
      .poll(
        async () => (await deepText(page, '[role=status]')).filter((t) => t === 'No data for this selection').length,
        { timeout: 60_000 }, // a cold tab under the whole suite's load on 2 cores
      )
      .toBe(CHARTS.batteries);
    expect(await deepText(page, '[role=status]')).toContain('No rows for this selection');
    expect(errors).toEqual([]);
  });
});
