// The market-depth panels in real Chromium against a real demo server: demand drawn over the generation stack (and
// meeting its top, as the demo's balance says it should), the NEM tab's demand against its records, and the
// "how this is computed" note behind each panel's ⓘ.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ABOUT } from '../../shared/kinds.ts';
import { launchChromium } from '../../bench/chromium.ts';
import { startServer, type TestServer } from './harness.ts';
import { deepText, waitForCharts, watchErrors } from './page-probe.ts';

let server: TestServer;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchChromium()]);
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

/** The first chart of a tab with this heading: its uPlot series labels and data. */
function chartData(page: Page, tab: string, heading: string) {
  return page.evaluate(
    ([tab, heading]) => {
      const root = document.querySelector('nem-app')!.shadowRoot!.querySelector(tab)!.shadowRoot!;
      const el = [...root.querySelectorAll('nem-chart')].find(
        (c) => (c as unknown as { heading: string }).heading === heading,
      );
      const u = (el as unknown as { chart: { data: (number | null)[][]; series: { label?: string }[] } }).chart;
      return { labels: u.series.slice(1).map((s) => s.label ?? ''), data: u.data.map((c) => [...c]) };
    },
    [tab, heading] as const,
  );
}

describe('market depth on the dashboard', () => {
  it('draws underlying demand over the generation stack, meeting its top (stack net of charging and exports)', async () => {
    const { page, errors } = await open('/?tab=generation&region=NEM&range=7d');
    await waitForCharts(page, 5);
    const { labels, data } = await chartData(page, 'tab-generation', 'Generation by fuel');
    const line = labels.indexOf('Demand (underlying)') + 1;
    expect(line).toBeGreaterThan(0);
    // Layers are cumulative: the last upward layer is the top of the stack, the last downward one its bottom.
    const up = labels.slice(0, line - 1).findLastIndex((_, k) => (data[k + 1] as number[]).some((v) => v > 0)) + 1;
    const downs = labels
      .slice(0, line - 1)
      .map((_, k) => k + 1)
      .filter((k) => data[k].some((v) => v !== null && v < 0));
    const down = downs.length ? downs[downs.length - 1] : 0;
    let n = 0;
    let err = 0;
    data[0].forEach((_, j) => {
      const d = data[line][j];
      const top = data[up][j];
      if (d === null || top === null) return;
      const net = top + (down ? (data[down][j] ?? 0) : 0);
      err += Math.abs(d - net) / d;
      n++;
    });
    expect(n).toBeGreaterThan(100);
    expect(err / n).toBeLessThan(0.05); // the demo's demand is generation + net imports within a small loss term
    expect(errors).toEqual([]);
  });

  it("the NEM tab's demand: now against the record for this hour, the records with their times, today's shape", async () => {
    const { page, errors } = await open('/?tab=nem&region=NEM');
    const got = await waitForCharts(page, 4);
    const byHour = got.find((c) => c.heading === 'Demand by hour')!;
    expect(byHour.labels).toEqual(['Today', 'Mean', 'Record high', 'Record low']);
    expect(byHour.points).toBe(24);
    const gauge = await page.evaluate(() => {
      const tab = document.querySelector('nem-app')!.shadowRoot!.querySelector('tab-nem')!.shadowRoot!;
      const g = [...tab.querySelectorAll('nem-gauge')].map((x) => x.shadowRoot!.querySelector('svg')!);
      return g.map((svg) => ({ now: Number(svg.getAttribute('aria-valuenow')), text: svg.textContent ?? '' }));
    });
    const demand = gauge.find((g) => / MW/.test(g.text))!;
    expect(demand.text).toMatch(/of the \d\d:00 record/);
    expect(demand.now).toBeGreaterThan(0);
    expect(demand.now).toBeLessThanOrEqual(100); // now is one of the intervals the record is taken over
    const facts = (await deepText(page, '.facts')).join('\n');
    for (const label of ['record', 'low', 'Highest', 'Lowest']) expect(facts).toContain(label);
    expect(facts).toMatch(/\d{1,3}(,\d{3})* MW/);
    // The ⓘ beside the panel opens to say how the numbers are computed.
    const about = page.locator('nem-about summary').first();
    await about.click();
    await expect.poll(async () => (await deepText(page, 'details[open] > p')).length).toBe(1);
    const text = await deepText(page, 'details[open] > p');
    expect(Object.values(ABOUT)).toContain(text[0].trim());
    expect(errors).toEqual([]);
  });

  it("the NEM tab's emission intensity and battery fleet: now in the note, the last 24 hours charted", async () => {
    const { page, errors } = await open('/?tab=nem&region=NEM');
    const got = await waitForCharts(page, 6);
    const intensity = await chartData(page, 'tab-nem', 'Emission intensity');
    const values = intensity.data[1].filter((v): v is number => v !== null);
    expect(values.length).toBeGreaterThan(200); // 24 h of 5-minute intervals
    for (const v of values) {
      expect(v).toBeGreaterThan(0.1);
      expect(v).toBeLessThan(1.2);
    }
    const notes = await page.evaluate(() => {
      const tab = document.querySelector('nem-app')!.shadowRoot!.querySelector('tab-nem')!.shadowRoot!;
      return Object.fromEntries(
        [...tab.querySelectorAll('nem-chart')].map((c) => [
          (c as unknown as { heading: string }).heading,
          (c as unknown as { note: string }).note,
        ]),
      );
    });
    // The note's "now" is the chart's last point.
    expect(notes['Emission intensity']).toContain(`${values[values.length - 1].toFixed(3)} t/MWh`);
    expect(notes.Batteries).toMatch(/^[\d,]+ MW out · [\d,]+ MW in at \d\d:\d\d/);
    const fleet = got.find((c) => c.heading === 'Batteries')!;
    expect(fleet.labels).toEqual(['Discharging', 'Charging']);
    expect(errors).toEqual([]);
  });
});
