// Forecast kinds over the hand-made P5MIN and pre-dispatch fixtures joined to AEMO's real dispatch prices and regional
// demand of 2026-04-01 (test/fixtures/aemo-forecast/SOURCES.md). Which run is shown at a watermark, the curves, the
// change since the previous run and the accuracy figures are computed here from the fixtures' CSV rows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateParams, type Kind } from '../../shared/kinds.ts';
import { REGIONS } from '../../shared/nem.ts';
import { ask, near } from '../../test/util/catalogue.ts';
import { openTestStore, type TestStore } from '../../test/util/synthetic-data.ts';
import { expectedRows, FORECAST_DIR, nem } from '../../test/util/forecast-fixtures.ts';
import { ingestFiles } from '../store/ingest.ts';
import type { QueryContext } from './index.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const PRICE_ZIP = join(FIXTURES, 'aemo/PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip');
const REGIONSUM_ZIP = join(FIXTURES, 'aemo-regionsum/PUBLIC_ARCHIVE%23DISPATCHREGIONSUM%23FILE01%23202604010000.zip');
const P5 = ['PUBLIC_P5MIN_202604010405_20260401040045.CSV', 'PUBLIC_P5MIN_202604010410_20260401040545.CSV'].map((f) =>
  join(FORECAST_DIR, f),
);
const PD = [
  'PUBLIC_PREDISPATCHIS_202604010430_20260401040250.CSV',
  'PUBLIC_PREDISPATCHIS_202604010500_20260401043250.CSV',
].map((f) => join(FORECAST_DIR, f));

/** A zipped MMS table's rows with INTERVENTION = 0: value by `${region}|${ts}`. */
function actual(zip: string, table: string, value: string): Map<string, number> {
  const [csv] = Object.values(unzipSync(readFileSync(zip)));
  let cols: string[] = [];
  const out = new Map<string, number>();
  for (const line of new TextDecoder().decode(csv).split(/\r?\n/)) {
    const f = line.split(',').map((s) => s.replace(/^"|"$/g, ''));
    if (`${f[1]},${f[2]}` !== table) continue;
    if (f[0] === 'I') cols = f;
    else if (f[0] === 'D') {
      const r = Object.fromEntries(cols.map((c, i) => [c, f[i]]));
      if (r.INTERVENTION === '0') out.set(`${r.REGIONID}|${nem(r.SETTLEMENTDATE)}`, Number(r[value]));
    }
  }
  return out;
}
const rrp = actual(PRICE_ZIP, 'DISPATCH,PRICE', 'RRP');
const demand = actual(REGIONSUM_ZIP, 'DISPATCH,REGIONSUM', 'TOTALDEMAND');
const p5Price = expectedRows(P5, 'P5MIN,REGIONSOLUTION', 'RRP');
const p5Demand = expectedRows(P5, 'P5MIN,REGIONSOLUTION', 'TOTALDEMAND');
const pdPrice = expectedRows(PD, 'PREDISPATCH,REGION_PRICES', 'RRP');
const pdDemand = expectedRows(PD, 'PREDISPATCH,REGION_SOLUTION', 'TOTALDEMAND');

let store: TestStore;
let ctx: (watermark: string) => QueryContext;
beforeAll(async () => {
  store = await openTestStore();
  const report = await ingestFiles(store.conn, [PRICE_ZIP, REGIONSUM_ZIP, FORECAST_DIR]);
  expect(report.rejected).toBe(0);
  // Any watermark inside the data: the kinds read runs and actuals up to it only.
  ctx = (wm) => ({ conn: store.conn, watermark: nem(wm), firstTs: nem('2026/04/01 00:05:00') });
}, 60_000);
afterAll(() => store?.close());

const at = <K extends Kind>(wm: string, kind: K, params: Record<string, unknown> = {}) => ask(ctx(wm), kind, params);

describe('forecasts.latest', () => {
  it('draws the newest runs published by the watermark beside the actuals', async () => {
    // At 04:10 P5MIN run 04:05 is out (run 04:10 counts from 04:15); pre-dispatch 04:30 is (from 04:10), 05:00 not.
    const r = await at('2026/04/01 04:10:00', 'forecasts.latest', { region: 'SA1', hours: 2 });
    expect(r.runs).toEqual({ p5min: nem('2026/04/01 04:05:00'), predispatch: nem('2026/04/01 04:30:00') });
    expect(r.time[0]).toBe(nem('2026/04/01 02:15:00'));
    expect(r.time.at(-1)).toBe(nem('2026/04/01 07:00:00')); // the run's last half hour
    const value = (name: keyof typeof r.series, ts: number) => r.series[name][r.time.indexOf(ts)];
    const p5 = p5Price.filter((x) => x.run_ts === r.runs.p5min && x.region === 'SA1');
    expect(p5).toHaveLength(12);
    for (const x of p5) expect(value('p5minPrice', x.ts)).toBe(x.v);
    for (const x of p5Demand.filter((x) => x.run_ts === r.runs.p5min && x.region === 'SA1'))
      expect(value('p5minDemand', x.ts)).toBe(x.v);
    expect(r.series.p5minPrice.filter((v) => v !== null)).toHaveLength(12);
    const pd = pdPrice.filter((x) => x.run_ts === r.runs.predispatch && x.region === 'SA1');
    for (const x of pd) expect(value('predispatchPrice', x.ts)).toBe(x.v);
    for (const x of pdDemand.filter((x) => x.run_ts === r.runs.predispatch && x.region === 'SA1'))
      expect(value('predispatchDemand', x.ts)).toBe(x.v);
    expect(r.series.predispatchPrice.filter((v) => v !== null)).toHaveLength(pd.length);
    // Actuals: every interval up to the watermark, none after it.
    for (const ts of r.time) {
      const a = value('actualPrice', ts);
      if (ts > nem('2026/04/01 04:10:00')) expect(a).toBeNull();
      else {
        near(a, rrp.get(`SA1|${ts}`)!);
        near(value('actualDemand', ts), demand.get(`SA1|${ts}`)!);
      }
    }
  });

  it('moves to the next runs at the watermarks they are published by', async () => {
    const r = await at('2026/04/01 04:40:00', 'forecasts.latest', { region: 'NSW1' });
    expect(r.runs).toEqual({ p5min: nem('2026/04/01 04:10:00'), predispatch: nem('2026/04/01 05:00:00') });
    const before = await at('2026/04/01 04:05:00', 'forecasts.latest', { region: 'NSW1' });
    expect(before.runs).toEqual({ p5min: null, predispatch: null });
    expect(before.series.p5minPrice.every((v) => v === null)).toBe(true);
  });
});

describe('forecasts.predispatch', () => {
  it('lists the newest run by half hour with the change since the run before', async () => {
    const r = await at('2026/04/01 04:40:00', 'forecasts.predispatch');
    const [older, newer] = [nem('2026/04/01 04:30:00'), nem('2026/04/01 05:00:00')];
    expect(r).toMatchObject({ run: newer, previousRun: older, regions: [...REGIONS] });
    const latest = pdPrice.filter((x) => x.run_ts === newer);
    const times = [...new Set(latest.map((x) => x.ts))].sort((a, b) => a - b);
    expect(r.rows.map((x) => x.time)).toEqual(times);
    for (const row of r.rows) {
      REGIONS.forEach((region, i) => {
        const now = latest.find((x) => x.ts === row.time && x.region === region);
        const then = pdPrice.find((x) => x.run_ts === older && x.ts === row.time && x.region === region);
        expect(row.prices[i]).toBe(now ? now.v : null);
        if (now && then) near(row.changes[i], now.v - then.v);
        else expect(row.changes[i]).toBeNull();
      });
    }
    expect(r.rows.at(-1)!.changes).toEqual([null, null, null, null, null]); // 07:30: not in the older run
    // Only one run published yet: no previous run, no changes.
    const first = await at('2026/04/01 04:10:00', 'forecasts.predispatch');
    expect(first).toMatchObject({ run: older, previousRun: null });
    expect(first.rows.flatMap((x) => x.changes).every((c) => c === null)).toBe(true);
  });
});

describe('forecasts.accuracy', () => {
  it('gives error by lead time, bias and spikes, against the 5-minute and half-hour actuals', async () => {
    const from = nem('2026/04/01 04:00:00');
    const to = nem('2026/04/01 08:00:00');
    const r = await at('2026/04/01 08:00:00', 'forecasts.accuracy', { region: 'SA1', from, to });
    expect(r).toMatchObject({ region: 'SA1', from, to, spikePrice: 300 });
    const halfHour = (m: Map<string, number>, ts: number) => {
      const xs = [0, 1, 2, 3, 4, 5].map((k) => m.get(`SA1|${ts - k * 300}`)!);
      return xs.reduce((s, x) => s + x, 0) / 6;
    };
    type Pair = { bucket: number; fp: number; ap: number; fd: number; ad: number };
    const p5Pairs: Pair[] = p5Price
      .filter((x) => x.region === 'SA1')
      .map((x) => ({
        bucket: (x.ts - x.run_ts) / 60,
        fp: x.v,
        ap: rrp.get(`SA1|${x.ts}`)!,
        fd: p5Demand.find((d) => d.run_ts === x.run_ts && d.ts === x.ts && d.region === 'SA1')!.v,
        ad: demand.get(`SA1|${x.ts}`)!,
      }));
    const pdBucket = (h: number) => [2880, 1440, 720, 480, 240, 120, 60, 0].find((m) => h >= m * 60)!;
    const pdPairs: Pair[] = pdPrice
      .filter((x) => x.region === 'SA1')
      .map((x) => ({
        bucket: pdBucket(x.ts - x.run_ts),
        fp: x.v,
        ap: halfHour(rrp, x.ts),
        fd: pdDemand.find((d) => d.run_ts === x.run_ts && d.ts === x.ts && d.region === 'SA1')!.v,
        ad: halfHour(demand, x.ts),
      }));
    const check = (source: string, pairs: Pair[], bucket: number) => {
      const row = r.rows.find((x) => x.source === source && x.horizonMin === bucket)!;
      const mean = (f: (p: Pair) => number) => pairs.reduce((s, p) => s + f(p), 0) / pairs.length;
      expect(row.n).toBe(pairs.length);
      near(
        row.priceMae,
        mean((p) => Math.abs(p.fp - p.ap)),
      );
      near(
        row.priceBias,
        mean((p) => p.fp - p.ap),
      );
      near(
        row.demandMae,
        mean((p) => Math.abs(p.fd - p.ad)),
      );
      near(
        row.demandBias,
        mean((p) => p.fd - p.ad),
      );
      expect(row.spikesSeen).toBe(pairs.filter((p) => p.ap >= 300).length);
      expect(row.spikesForecast).toBe(pairs.filter((p) => p.ap >= 300 && p.fp >= 300).length);
      expect(row.falseSpikes).toBe(pairs.filter((p) => p.ap < 300 && p.fp >= 300).length);
    };
    for (const [source, pairs] of [
      ['p5min', p5Pairs],
      ['predispatch', pdPairs],
    ] as const) {
      const buckets = [...new Set(pairs.map((p) => p.bucket))].sort((a, b) => a - b);
      const rows = r.rows.filter((x) => x.source === source);
      expect(rows.map((x) => x.horizonMin)).toEqual([...buckets, -1]);
      for (const b of buckets)
        check(
          source,
          pairs.filter((p) => p.bucket === b),
          b,
        );
      check(source, pairs, -1);
    }
    expect(p5Pairs).toHaveLength(24);
    expect(r.rows.find((x) => x.source === 'p5min' && x.horizonMin === 0)!.horizonMaxMin).toBe(5);
    // The fixtures forecast spikes that did not come: each is counted.
    expect(r.rows.find((x) => x.source === 'p5min' && x.horizonMin === -1)!.falseSpikes).toBe(2);
    expect(r.rows.find((x) => x.source === 'predispatch' && x.horizonMin === -1)!.falseSpikes).toBe(2);
  });

  it('leaves out runs not yet published and intervals after the watermark', async () => {
    const r = await at('2026/04/01 04:30:00', 'forecasts.accuracy', { region: 'NSW1', range: '24h' });
    // P5MIN runs 04:05 and 04:10, their intervals up to 04:30 (6 and 5); pre-dispatch 04:30's first half hour.
    expect(r.rows.find((x) => x.source === 'p5min' && x.horizonMin === -1)!.n).toBe(11);
    expect(r.rows.find((x) => x.source === 'predispatch' && x.horizonMin === -1)!.n).toBe(1);
  });
});

describe('forecast params', () => {
  it.each([
    ['forecasts.latest', { region: 'NEM' }, /region must be one of NSW1 QLD1 VIC1 SA1 TAS1/],
    ['forecasts.latest', { hours: 0 }, /hours/],
    ['forecasts.latest', { hours: 49 }, /hours/],
    ['forecasts.predispatch', { region: 'SA1' }, /unknown parameter "region"/],
    ['forecasts.accuracy', { range: '1y' }, /range must be one of 24h 7d 30d/],
    ['forecasts.accuracy', { from: nem('2026/01/01 00:00:00'), to: nem('2026/03/01 00:00:00') }, /at most 31 days/],
    ['forecasts.accuracy', { region: 'x'.repeat(10_000) }, /region must be one of/],
  ] as const)('%s refuses bad parameters (case %#)', (kind, params, message) => {
    const v = validateParams(kind, params);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.message).toMatch(message);
  });
});
