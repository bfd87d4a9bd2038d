// Live behaviour in real Chromium: a push redraws the open tab in place (same uPlot instances, zoom kept) and
// moves the live indicator; a server that goes away shows the reconnect message, and when it returns the page
// resubscribes and carries on without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../bench/chromium.ts';
import { startServer, type TestServer } from './harness.ts';
import { charts, deepText, feed, waitForCharts, watchErrors } from './page-probe.ts';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ live: true }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.remove();
});

/** Waits for the feed's push count to pass `after`, nudging the server's live feed meanwhile. */
async function nextPush(page: Page, after: number): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if ((await feed(page)).pushes > after) return;
    if (i % 10 === 0) await server.nudge();
    await page.waitForTimeout(250);
  }
  throw new Error('no push arrived within 30 s');
}

const liveText = async (page: Page) => (await deepText(page, 'span[role=status][aria-live]'))[0] ?? '';

describe('live dashboard', () => {
  it('a push updates the charts in place, keeps a zoomed chart zoomed and moves the live indicator', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const { errors } = watchErrors(page);
    await page.goto(`${server.base}/?tab=nem&region=NEM&range=24h`);
    const before = await waitForCharts(page, 3);
    const start = await feed(page);
    // Zoom the price chart the way a drag does: uPlot's setScale on x, through its hooks.
    const zoom = await page.evaluate(async () => {
      const tab = document.querySelector('nem-app')!.shadowRoot!.querySelector('tab-nem')!.shadowRoot!;
      const u = (
        tab.querySelectorAll('nem-chart')[1] as unknown as {
          chart: {
            data: number[][];
            setScale(k: string, s: { min: number; max: number }): void;
            scales: { x: { min: number; max: number } };
          };
        }
      ).chart;
      const x = u.data[0];
      u.setScale('x', { min: x[10], max: x[60] });
      await new Promise((r) => setTimeout(r, 50)); // uPlot commits scale changes in a microtask batch
      return { min: u.scales.x.min, max: u.scales.x.max };
    });

    await nextPush(page, start.pushes);
    await expect
      .poll(async () => (await charts(page)).map((c) => c.checksum))
      .not.toEqual(before.map((c) => c.checksum));
    const after = await charts(page);
    expect(after.map((c) => c.instance)).toEqual(before.map((c) => c.instance)); // setData, not a rebuild
    expect(after.every((c) => c.values > 0)).toBe(true);
    const scale = await page.evaluate(() => {
      const tab = document.querySelector('nem-app')!.shadowRoot!.querySelector('tab-nem')!.shadowRoot!;
      const u = (
        tab.querySelectorAll('nem-chart')[1] as unknown as { chart: { scales: { x: { min: number; max: number } } } }
      ).chart;
      return { min: u.scales.x.min, max: u.scales.x.max };
    });
    expect(zoom.max - zoom.min).toBeLessThan(86400 / 2);
    expect(scale).toEqual(zoom);
    const now = await feed(page);
    expect(now.watermark! > start.watermark!, `${now.watermark} after ${start.watermark}`).toBe(true);
    expect(await liveText(page)).toMatch(/^Demo replay · data to .+ NEM · one interval every 60 min$/);
    expect(await liveText(page)).toContain(now.watermark!.slice(11, 16)); // the indicator shows the new interval's time
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the Batteries tab is pushed each new interval: the fleet chart moves on in place', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const { errors } = watchErrors(page);
    await page.goto(`${server.base}/?tab=batteries&region=NEM&range=24h`);
    const before = await waitForCharts(page, 2);
    const start = await feed(page);
    expect(start.kind).toBe('tab.batteries');
    await nextPush(page, start.pushes);
    await expect.poll(async () => (await charts(page))[0].lastX).toBeGreaterThan(before[0].lastX!);
    expect((await charts(page)).map((c) => c.instance)).toEqual(before.map((c) => c.instance));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an unreachable server shows the reconnect message, keeps the last data, and recovers when it returns', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const watch = watchErrors(page);
    // Chromium itself logs each refused reconnect attempt; those are expected here, nothing else is.
    watch.allow(/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/);
    await page.goto(`${server.base}/?tab=generation&region=NEM&range=24h`);
    const before = await waitForCharts(page, 5);

    await server.stop();
    const banner = page.locator('.banner[role=alert]');
    await expect.poll(() => banner.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await banner.innerText()).toMatch(
      /Connection to the NEM Live server lost\.\s+(retrying in \d+ s|reconnecting now…)/,
    );
    expect(await liveText(page)).toMatch(/^(Offline|Connecting…)/);
    expect((await charts(page)).map((c) => c.values)).toEqual(before.map((c) => c.values));
    await page.screenshot({ path: `${import.meta.dirname}/../../test-artifacts/reconnecting.png` });

    await server.restart();
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
    expect(await liveText(page)).toMatch(/^Demo replay/);
    // Resubscribed: new data reaches the page again without a reload.
    await nextPush(page, (await feed(page)).pushes);
    expect((await charts(page)).every((c) => c.values > 0)).toBe(true);
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
