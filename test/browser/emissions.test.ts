// Emissions on the dashboard in real Chromium against a real server (the two-day demo): the Generation tab's
// tonnes-by-fuel stack and intensity line with their ⓘ and CSV, and a station page's emissions figures.
// Screenshots go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ABOUT } from '../../shared/kinds.ts';
import { FUELS } from '../../shared/nem.ts';
import { launchChromium } from '../../bench/chromium.ts';
import { startServer, type TestServer } from './harness.ts';
import { deepText, waitForCharts, watchErrors } from './page-probe.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

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

async function open(path: string, colorScheme: 'light' | 'dark' = 'light') {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme, acceptDownloads: true });
  pages.push(page);
  const watch = watchErrors(page);
  await page.goto(server.base + path);
  return { page, errors: watch.errors };
}

describe('emissions on the dashboard', () => {
  it('the Generation tab stacks t CO2-e by fuel over the intensity line, says how, and downloads it', async () => {
    const { page, errors } = await open('/?tab=generation&region=NEM&range=7d');
    const charts = await waitForCharts(page, 7);
    const tonnes = charts.find((c) => c.heading === 'Emissions by fuel')!;
    const intensity = charts.find((c) => c.heading === 'Emissions intensity')!;
    expect(tonnes.labels).toContain('Coal');
    for (const l of tonnes.labels) expect(FUELS).toContain(l);
    expect(tonnes.labels).not.toContain('Wind'); // fuels that emit nothing are not stacked
    expect(tonnes.values).toBeGreaterThan(0);
    expect(intensity.labels).toEqual(['Intensity']);
    expect(intensity.points).toBe(tonnes.points);
    const mean = intensity.checksum / intensity.values;
    expect(mean).toBeGreaterThan(0.2);
    expect(mean).toBeLessThan(1.2);

    const panel = page.locator('nem-chart[heading="Emissions by fuel"]');
    await panel.locator('nem-about summary').click();
    await expect.poll(() => panel.locator('nem-about p').innerText()).toBe(ABOUT['emissions.history']);
    const note = await panel.locator('.note').first().innerText();
    expect(note).toMatch(/t CO2-e.*t\/MWh in this window/);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.locator('button', { hasText: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^emissions-.*\.csv$/);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(['time_nem', ...tonnes.labels.map((l) => `${l} (t)`)].join(','));
    expect(lines).toHaveLength(tonnes.points + 1);

    await page.waitForTimeout(300); // let the last frame paint before the screenshot
    await panel.screenshot({ path: join(ARTIFACTS, 'generation-emissions-light.png') });
    await page.locator('div[aria-label=Emissions]').screenshot({ path: join(ARTIFACTS, 'generation-emissions.png') });
    expect(errors).toEqual([]);
  }, 180_000);

  it("a station page shows the station's t CO2-e and intensity for the window", async () => {
    const { page, errors } = await open('/?tab=stations&region=NSW1&range=7d', 'dark');
    await waitForCharts(page, 2);
    await expect
      .poll(async () => (await deepText(page, '.kpi')).join(' | '))
      .toMatch(/Emissions\s+[\d.,]+[KM]? t CO2-e/);
    const kpis = await deepText(page, '.kpi');
    const intensity = kpis.find((k) => k.startsWith('Emissions intensity'))!;
    expect(intensity).toMatch(/\d\.\d{3} t\/MWh/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTIFACTS, 'stations-emissions-dark.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 180_000);
});
