// LIVE=nemweb end to end: a real server with NEMWEB_URL pointed at a NEMWEB-like site on loopback follows the
// intervals the site's Current/ folders publish, as an SDK subscriber sees them: new intervals, a late file (an
// interval's prices listed after the next one's), a revised file (the same interval again with a later sequence
// number: AEMO's newer file supersedes, so its values replace the stored ones), rooftop PV arriving after the dispatch
// data (carried forward and marked until then, replaced when it comes), and a listing that fails and hangs (retried
// with backoff; the feed goes on). The dashboard, in real Chromium, says which points hold an estimated rooftop value.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchChromium } from '../../bench/chromium.ts';
import { ensureClientBuilt } from '../../client/build.ts';
import { NemClient, type Update } from '../../client/sdk/client.ts';
import { dispatchIs, dispatchScada, rooftopActual } from '../../bench/nemweb/files.ts';
import { nemwebSite, type NemwebSite } from '../../bench/nemweb/site.ts';
import { NEMWEB_FOLDERS } from '../../server/live/setting.ts';
import type { Kind } from '../../shared/kinds.ts';
import { startLiveServer, storeDir, type LiveServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

/** 12:00 NEM on 1 April 2026: a half-hour end at midday, when rooftop PV matters. */
const S = Date.UTC(2026, 3, 1, 12, 0) / 1000 - 36000;
const at = (k: number) => S + k * 300;
const DISPATCH = 'Reports/Current/DispatchIS_Reports';
const SCADA = 'Reports/Current/Dispatch_SCADA';
const ROOFTOP = 'Reports/Current/ROOFTOP_PV/ACTUAL';
// Real DUIDs from the shipped registry: a black-coal unit in NSW and a wind farm in SA.
const UNITS = { BW01: 600, CATHROCK: 40 };
const DEMAND = { NSW1: 8000, SA1: 1500 };
const ROOF = { NSW1: 3000, SA1: 800 };

let web: NemwebSite;
let store: StoreDir;
let server: LiveServer;
let client: NemClient;
let browser: Browser | undefined;
let page: Page;
/** The newest dispatch interval published: the poller's clock runs from 8 s past the end of the one after it. */
let newest = S;
let newestAt = performance.now();
const clock = () => (newest + 308) * 1000 + (performance.now() - newestAt);

function publish(k: number, opts: { price?: number; seq?: number; scada?: boolean } = {}): void {
  web.feeds.get(DISPATCH)!.push(dispatchIs(at(k), opts.price ?? 50, { demand: DEMAND, seq: opts.seq }));
  if (opts.scada !== false) web.feeds.get(SCADA)!.push(dispatchScada(at(k), UNITS));
  if (at(k) > newest) [newest, newestAt] = [at(k), performance.now()];
}

/** Every update a subscription gets, in order. */
function follow<K extends Kind>(kind: K, params: Record<string, unknown>): Update<K>[] {
  const got: Update<K>[] = [];
  client.sub(kind, params as never, { onUpdate: (u) => got.push(u) });
  return got;
}
const last = <T>(xs: T[]) => xs[xs.length - 1];

/** Waits until the time readout of the chart headed `heading` (its latest point's, no cursor on it) matches. */
function readoutMatches(heading: string, pattern: RegExp): Promise<unknown> {
  const test = ([h, source]: [string, string]) => {
    const find = (root: ParentNode): Element | undefined => {
      for (const el of root.querySelectorAll('*')) {
        if (el.localName === 'nem-chart' && (el as unknown as { heading: string }).heading === h) return el;
        const inner = el.shadowRoot && find(el.shadowRoot);
        if (inner) return inner;
      }
      return undefined;
    };
    return new RegExp(source).test(find(document)?.shadowRoot?.querySelector('.when')?.textContent ?? '');
  };
  return page.waitForFunction(test, [heading, pattern.source] as [string, string], { timeout: 30_000 });
}
/** A series' value at a time, from the subscriber's latest answer. */
const valueAt = (u: { data: { time: number[] } }, col: (number | null)[], ts: number) => col[u.data.time.indexOf(ts)];

beforeAll(async () => {
  web = await nemwebSite();
  for (const f of NEMWEB_FOLDERS) web.feeds.set(`Reports/Current/${f}`, []);
  web.feeds.get(ROOFTOP)!.push(rooftopActual(S, ROOF));
  publish(0);
  store = await storeDir(0);
  server = await startLiveServer(
    store,
    { LIVE: 'nemweb', NEMWEB_URL: web.base, SOURCE_LATE_S: '900' },
    {
      live: {
        http: { now: clock, fastMs: 40, pollMs: 150, retryBaseMs: 20, timeoutMs: 500 },
      },
    },
  );
  await until(() => server.market.watermark === S, 'the first interval');
  client = new NemClient({ url: server.wsUrl, WebSocket });
  await ensureClientBuilt();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  client?.close();
  await server?.close();
  await web?.close();
  store?.remove();
});

describe('LIVE=nemweb against a NEMWEB-like site', () => {
  const prices = () => follow('prices.history', { regions: ['NSW1'], range: '24h', resolution: '5m' });
  const shares = () => follow('renewables.share', { region: 'NEM', range: '24h', resolution: '5m' });

  it('reads every Current folder the store takes, under NEMWEB_URL', () => {
    for (const f of [DISPATCH, SCADA, ROOFTOP]) expect(web.requests).toContain(`GET /${f}/`);
  });

  it('follows new intervals; rooftop not yet published is carried forward and marked, never a dip', async () => {
    const share = shares();
    await until(() => share.length === 1, 'first answer');
    const s0 = valueAt(share[0], share[0].data.series.share, S)!;
    // independently: (wind + rooftop) ÷ (coal + wind + rooftop)
    const renewable = UNITS.CATHROCK + ROOF.NSW1 + ROOF.SA1;
    expect(s0).toBeCloseTo((100 * renewable) / (renewable + UNITS.BW01), 2);
    expect(share[0].data.rooftopEstimated).toBeUndefined();

    publish(1);
    await until(() => last(share).data.time.includes(at(1)), 'the next interval pushed');
    const u = last(share);
    expect(u.kind).toBe('push');
    expect(valueAt(u, u.data.series.share, at(1))).toBe(s0); // the same SCADA: the same share, rooftop carried
    expect(u.data.rooftopEstimated).toEqual([at(1)]);
    // the dashboard says so beside the point's time
    await page.goto(`${server.url}/?tab=nem&region=NEM&range=24h`);
    await readoutMatches('Renewable share', /12:05 NEM · rooftop estimated$/);
    await readoutMatches('Generation by fuel', /12:05 NEM · rooftop estimated$/);
  });

  it('takes a late file (an interval listed after the next one) and pushes the answer it changes', async () => {
    const price = prices();
    await until(() => price.length === 1, 'first answer');
    web.feeds.get(SCADA)!.push(dispatchScada(at(2), UNITS), dispatchScada(at(3), UNITS));
    publish(3, { price: 70 }); // interval 2's prices are not listed yet
    await until(() => server.market.watermark === at(3) && last(price).data.time.includes(at(3)), 'interval 3');
    expect(valueAt(last(price), last(price).data.series.NSW1, at(2))).toBeNull();

    publish(2, { price: 60 }); // late
    await until(() => valueAt(last(price), last(price).data.series.NSW1, at(2)) !== null, 'the late interval pushed');
    expect(last(price).kind).toBe('push');
    expect(valueAt(last(price), last(price).data.series.NSW1, at(2))).toBe(60);
    expect(server.market.watermark).toBe(at(3)); // a late file revises the past; it does not move the watermark
  });

  it("replaces an interval's values with a newer file for it, and pushes them", async () => {
    const price = prices();
    const now = follow('prices.current', {});
    await until(() => price.length === 1 && now.length === 1, 'first answers');
    expect(now[0].data.rows.find((r) => r.region === 'NSW1')?.rrp).toBe(70);
    // the same interval again, later sequence number, different prices (AEMO's rerun): the newer file wins
    publish(3, { price: 170, seq: 900000000 + ((at(3) / 300) % 100000) });
    await until(() => last(now).data.rows.find((r) => r.region === 'NSW1')?.rrp === 170, 'the revision pushed');
    expect(last(now).kind).toBe('push');
    await until(() => valueAt(last(price), last(price).data.series.NSW1, at(3)) === 170, 'the revised series');
    // and a fresh question gets the revised value too, not a cached one
    const { data: asked } = await client.query('prices.history', { regions: ['NSW1'], range: '24h', resolution: '5m' });
    expect(asked.series.NSW1[asked.time.indexOf(at(3))]).toBe(170);
    expect(asked.series.NSW1[asked.time.indexOf(at(2))]).toBe(60);
  });

  it('replaces carried rooftop with the real value when its file comes, and pushes the change', async () => {
    const share = shares();
    await until(() => share.length === 1, 'first answer');
    expect(share[0].data.rooftopEstimated).toEqual([at(1), at(2), at(3)]);
    const before = valueAt(share[0], share[0].data.series.share, at(2))!;
    const real = { NSW1: ROOF.NSW1 + 600, SA1: ROOF.SA1 + 100 };
    web.feeds.get(ROOFTOP)!.push(rooftopActual(at(6), real));
    await until(() => last(share).data.rooftopEstimated === undefined, 'the real rooftop pushed');
    const u = last(share);
    expect(u.kind).toBe('push');
    const renewable = UNITS.CATHROCK + real.NSW1 + real.SA1;
    const after = valueAt(u, u.data.series.share, at(2))!;
    expect(after).toBeCloseTo((100 * renewable) / (renewable + UNITS.BW01), 2);
    expect(after).toBeGreaterThan(before);
    await readoutMatches('Renewable share', /12:15 NEM$/);
  });

  it('retries a failing and a hanging listing with backoff, then takes the next interval', async () => {
    const now = follow('prices.current', {});
    await until(() => now.length === 1, 'first answer');
    const failed = () => server.lines.filter((l) => l.msg === 'live: request failed; retrying').length;
    const before = failed();
    web.fail(new RegExp(`^/${DISPATCH}/$`), 2);
    web.hang(new RegExp(`^/${DISPATCH}/$`), 1);
    publish(4);
    await until(() => last(now).data.time === at(4), 'interval 4 after the faults');
    expect(failed() - before).toBeGreaterThanOrEqual(2);
    type Health = { sources: Record<string, { asOf: string | null }> };
    const health = async () => ((await (await fetch(`${server.url}/healthz`)).json()) as Health).sources;
    await until(async () => (await health()).prices.asOf === '2026-04-01T12:20:00+10:00', '/healthz prices');
    expect((await health()).rooftop.asOf).toBe('2026-04-01T12:30:00+10:00');
    expect((await health()).scada.asOf).toBe('2026-04-01T12:20:00+10:00');
  });
});
