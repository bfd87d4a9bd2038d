// Alerts in real Chromium: an interval committed with a $1,500 price in SA1 reaches the open dashboard as a toast
// and a row in the alerts panel, and, once the user turned desktop notifications on (the permission is asked on that
// click), as a desktop notification. Screenshots of the toast in both themes go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../bench/chromium.ts';
import { REGIONS } from '../../shared/nem.ts';
import { startServer, type TestServer } from './harness.ts';
import { deepText, waitForCharts, watchErrors } from './page-probe.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

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

/** Commits the next interval as the live feed would: SA1 at `sa`, the other regions at $50. */
async function commitInterval(sa: number): Promise<number> {
  const app = server.app;
  const ts = app.market.watermark + 300;
  const conn = await app.instance.connect();
  try {
    const rows = REGIONS.map((r) => `(${ts}, '${r}', ${r === 'SA1' ? sa : 50}, 1000)`);
    await conn.run(`INSERT INTO price VALUES ${rows.join(', ')}`);
  } finally {
    conn.closeSync();
  }
  const batch = {
    source: 'test',
    files: [],
    rows: {},
    window: { minTs: ts, maxTs: ts },
    ingestedAt: performance.now(),
  };
  await app.live!.pipeline.advance(batch);
  return ts;
}

/** What the page's Notification constructor was called with (recorded by an init script around the real one). */
const notified = (page: Page) => page.evaluate(() => (window as unknown as { __notified: string[] }).__notified);

describe('alerts in the browser', () => {
  it('shows a committed event as a toast, lists it in the panel, and notifies the desktop once turned on', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['notifications'], { origin: server.base });
    await context.addInitScript(() => {
      const Real = window.Notification;
      const seen: string[] = [];
      (window as unknown as { __notified: string[] }).__notified = seen;
      class Recorded extends Real {
        constructor(title: string, opts?: NotificationOptions) {
          super(title, opts);
          seen.push(title);
        }
      }
      Object.defineProperty(window, 'Notification', { value: Recorded });
    });
    const page = await context.newPage();
    const { errors } = watchErrors(page);
    try {
      await page.goto(`${server.base}/?tab=nem&region=NEM&range=24h`);
      await waitForCharts(page, 3);
      // Turning desktop notifications on: the panel's button, a user click.
      await page.locator('nem-alerts button[aria-controls=alerts-panel]').click();
      await page.locator('nem-alerts button.desktop').click();
      await expect.poll(() => deepText(page, 'button.desktop')).toEqual(['Desktop notifications: on — turn off']);
      await page.locator('nem-alerts button[aria-controls=alerts-panel]').click(); // close the panel

      // $100 first (below every level, so each is armed), then $1,500.
      await commitInterval(100);
      const ts = await commitInterval(1500);
      const toast = page.locator(`nem-alerts .toast[data-key="price.above:SA1:1000:${ts}"]`);
      await toast.waitFor({ timeout: 30_000 });
      expect(await toast.innerText()).toMatch(/SA1 price \$1,500\/MWh, at or above \$1,000/);
      await page.waitForTimeout(300); // the toast's frame painted
      await page.screenshot({ path: join(ARTIFACTS, 'alerts-toast-light.png') });
      expect(await notified(page)).toContain('NEM Live: SA1 price $1,500/MWh, at or above $1,000');

      // The panel lists it (and only events its rules ask for: no $300 event, which the dashboard does not watch).
      await page.locator('nem-alerts button[aria-controls=alerts-panel]').click();
      const rows = await deepText(page, 'li[data-key]');
      expect(rows.some((r) => /SA1 price \$1,500\/MWh, at or above \$1,000/.test(r))).toBe(true);
      expect(rows.some((r) => /at or above \$300/.test(r))).toBe(false);
      expect(await page.locator(`nem-alerts li[data-key="price.above:SA1:300:${ts}"]`).count()).toBe(0);

      // Dark theme screenshot of the same toast (dismissed ones go after 8 s: shown again by the next event).
      await page.emulateMedia({ colorScheme: 'dark' });
      await commitInterval(100);
      const ts2 = await commitInterval(2000);
      await page.locator(`nem-alerts .toast[data-key="price.above:SA1:1000:${ts2}"]`).waitFor({ timeout: 30_000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(ARTIFACTS, 'alerts-toast-dark.png') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
