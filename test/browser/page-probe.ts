// What the browser tests read from the page: every <nem-chart>'s uPlot instance (through shadow roots), the app's
// tab feed, and console errors. Runs inside the page via page.evaluate, so each function is self-contained.
import type { ConsoleMessage, Page } from 'playwright-core';

export interface ChartSummary {
  heading: string;
  labels: string[];
  points: number;
  /** Numbers that are not null across all series. */
  values: number;
  firstX: number | null;
  lastX: number | null;
  /** Sum of every finite value: changes when the data does. */
  checksum: number;
  /** Identity of the uPlot instance, to tell an in-place update from a rebuild. */
  instance: number;
}

/** Summaries of all charts on the page, in document order. */
export function charts(page: Page): Promise<ChartSummary[]> {
  return page.evaluate(() => {
    const all: Element[] = [];
    const walk = (root: ParentNode) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.localName === 'nem-chart') all.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    const w = window as unknown as { __ids?: WeakMap<object, number>; __next?: number };
    w.__ids ??= new WeakMap();
    w.__next ??= 1;
    return all.map((el) => {
      const u = (el as unknown as { chart: { data: (number | null)[][]; series: { label?: string }[] } | null }).chart;
      const heading = (el as unknown as { heading: string }).heading;
      if (!u) return { heading, labels: [], points: 0, values: 0, firstX: null, lastX: null, checksum: 0, instance: 0 };
      if (!w.__ids!.has(u)) w.__ids!.set(u, w.__next!++);
      const x = u.data[0] as number[];
      let values = 0;
      let checksum = 0;
      for (const col of u.data.slice(1))
        for (const v of col)
          if (typeof v === 'number' && Number.isFinite(v)) {
            values++;
            checksum += v;
          }
      return {
        heading,
        labels: u.series.slice(1).map((s) => s.label ?? ''),
        points: x.length,
        values,
        firstX: x[0] ?? null,
        lastX: x[x.length - 1] ?? null,
        checksum,
        instance: w.__ids!.get(u)!,
      };
    });
  });
}

/** Waits until the page shows at least `min` charts and every one of them holds data. */
// Generous: under the full suite on 2 cores a cold tab can wait behind other suites' DuckDB work.
export async function waitForCharts(page: Page, min: number, timeout = 90_000): Promise<ChartSummary[]> {
  const deadline = Date.now() + timeout;
  let last: ChartSummary[] = [];
  while (Date.now() < deadline) {
    last = await charts(page);
    if (last.length >= min && last.every((c) => c.values > 0)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`expected ${min}+ charts with data; got ${JSON.stringify(last.map((c) => [c.heading, c.values]))}`);
}

/** Text of elements matching `selector` anywhere, shadow roots included. */
export function deepText(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const out: string[] = [];
    const walk = (root: ParentNode) => {
      for (const el of root.querySelectorAll(sel)) out.push((el as HTMLElement).innerText ?? el.textContent ?? '');
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return out;
  }, selector);
}

/** The app's tab feed: which kind it follows and how many pushes it has had. */
export function feed(
  page: Page,
): Promise<{ kind: string | null; pushes: number; watermark: string | null; loading: boolean }> {
  return page.evaluate(() => {
    const app = document.querySelector('nem-app') as unknown as {
      feed: { kind: string | null; pushes: number; meta: { watermark: string } | null; loading: boolean };
    };
    return {
      kind: app.feed.kind,
      pushes: app.feed.pushes,
      watermark: app.feed.meta?.watermark ?? null,
      loading: app.feed.loading,
    };
  });
}

/** Collects console errors and uncaught exceptions; `allow` filters expected ones (e.g. a refused socket). */
export function watchErrors(page: Page): { errors: string[]; allow: (re: RegExp) => void } {
  const errors: string[] = [];
  const allowed: RegExp[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' && !allowed.some((re) => re.test(m.text()))) errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { errors, allow: (re) => allowed.push(re) };
}
