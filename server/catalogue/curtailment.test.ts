// Curtailment kinds over AEMO's own files (Source: AEMO), checked against sums computed here from the raw CSV rows:
// a region's curtailed MWh from DISPATCHREGIONSUM's SS_* columns, a unit's from NEXT_DAY_DISPATCH's UIGF and
// TOTALCLEARED; a region-interval without a regionsum row from its units, and never from both. Then the demo's
// curtailment is plausible: never negative, mostly at middays, a higher share at negative prices.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kind } from '../../shared/kinds.ts';
import { ask, MW, near, sum } from '../../test/util/catalogue.ts';
import { openTestStore, type TestStore } from '../../test/util/synthetic-data.ts';
import { buildDemo } from '../store/demo.ts';
import { readWatermark } from '../store/db.ts';
import { ingestBuffer, ingestFiles } from '../store/ingest.ts';
import { ensureRegistry } from '../store/registry.ts';
import type { QueryContext } from './index.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const REGIONSUM = join(FIXTURES, 'aemo-regionsum/PUBLIC_ARCHIVE%23DISPATCHREGIONSUM%23FILE01%23202604010000.zip');
const NEXT_DAY = join(FIXTURES, 'aemo-depth/PUBLIC_NEXT_DAY_DISPATCH_20260514_0000000517721207.zip');

/** The CSV lines of a zipped AEMO file. */
const lines = (zip: string) => new TextDecoder().decode(Object.values(unzipSync(readFileSync(zip)))[0]).split(/\r?\n/);

/** D rows of one MMS table ("DISPATCH,REGIONSUM") as objects keyed by the I row's column names. */
function rawRows(text: string[], table: string): Record<string, string>[] {
  let columns: string[] = [];
  const out: Record<string, string>[] = [];
  for (const line of text) {
    const f = line.split(',');
    if (`${f[1]},${f[2]}` !== table) continue;
    if (f[0] === 'I') columns = f.slice(4);
    else if (f[0] === 'D') out.push(Object.fromEntries(columns.map((c, i) => [c, f[4 + i]])));
  }
  return out;
}
/** "2026/04/01 00:05:00" in NEM time (UTC+10) → epoch seconds. */
const nemTime = (s: string) => Date.parse(`${s.replace(/\//g, '-').replace(' ', 'T')}+10:00`) / 1000;
const curtailed = (uigf: number, cleared: number) => Math.max(uigf - cleared, 0);

const regionsum = rawRows(lines(REGIONSUM), 'DISPATCH,REGIONSUM')
  .filter((r) => r.INTERVENTION === '0')
  .map((r) => ({
    ts: nemTime(r.SETTLEMENTDATE),
    region: r.REGIONID,
    wu: Number(r.SS_WIND_UIGF),
    wc: Number(r.SS_WIND_CLEAREDMW),
    su: Number(r.SS_SOLAR_UIGF),
    sc: Number(r.SS_SOLAR_CLEAREDMW),
  }));
const unitLines = lines(NEXT_DAY);
const hdwf2 = rawRows(unitLines, 'DISPATCH,UNIT_SOLUTION')
  .filter((r) => r.INTERVENTION === '0' && r.DUID === 'HDWF2')
  .map((r) => ({
    ts: nemTime(r.SETTLEMENTDATE),
    uigf: Number(r.UIGF),
    cleared: Number(r.TOTALCLEARED),
    capped: r.SEMIDISPATCHCAP === '1',
  }));

async function storeWith(files: string[], buffers: Record<string, string> = {}) {
  const store = await openTestStore();
  await ensureRegistry(store.conn);
  const report = await ingestFiles(store.conn, files);
  expect(report.rejected).toBe(0);
  for (const [name, text] of Object.entries(buffers)) await ingestBuffer(store.conn, name, Buffer.from(text));
  return store;
}
/** The context of a store holding no prices: its window is what the fixtures cover. */
function context(conn: DuckDBConnection): QueryContext {
  const all = [...regionsum.map((r) => r.ts), ...hdwf2.map((r) => r.ts)];
  return { conn, watermark: Math.max(...all), firstTs: Math.min(...all) };
}

describe('curtailment from the SS_* columns of DISPATCHREGIONSUM (NSW1, SA1)', () => {
  let store: TestStore;
  let ctx: QueryContext;
  beforeAll(async () => {
    store = await storeWith([REGIONSUM, NEXT_DAY]);
    ctx = context(store.conn);
  });
  afterAll(() => store?.close());
  const q = <K extends Kind>(kind: K, params: Record<string, unknown>) => ask(ctx, kind, params);
  const april = () => ({
    from: Math.min(...regionsum.map((r) => r.ts)) - 300,
    to: Math.max(...regionsum.map((r) => r.ts)),
  });

  it('totals: MWh curtailed = Σ max(UIGF − cleared, 0) × 5/60 per region-interval, % of Σ UIGF × 5/60', async () => {
    for (const region of ['NSW1', 'SA1', 'NEM']) {
      const rows = regionsum.filter((r) => region === 'NEM' || r.region === region);
      const h = await q('curtailment.history', { region, ...april() });
      const [wind, solar] = h.totals;
      expect([wind.fuel, solar.fuel]).toEqual(['Wind', 'Solar']);
      near(wind.curtailedMwh, sum(rows.map((r) => curtailed(r.wu, r.wc))) / 12, 0.001);
      near(solar.curtailedMwh, sum(rows.map((r) => curtailed(r.su, r.sc))) / 12, 0.001);
      near(wind.availableMwh, sum(rows.map((r) => r.wu)) / 12, 0.001);
      near(solar.curtailedPct, (100 * solar.curtailedMwh) / solar.availableMwh, 0.006);
      expect(solar.curtailedMwh).toBeGreaterThan(1000); // the sample holds real curtailment (NSW1 solar, SA1 both)
    }
  });

  it('series: each 5-minute point is the raw rows of that interval, summed over the regions for the NEM', async () => {
    const h = await q('curtailment.history', { region: 'NEM', ...april(), resolution: '5m' });
    let checked = 0;
    h.time.forEach((ts, i) => {
      const rows = regionsum.filter((r) => r.ts === ts);
      if (rows.length === 0) return expect(h.series.windAvailable[i]).toBeNull();
      near(h.series.windAvailable[i], sum(rows.map((r) => r.wu)), MW * 2);
      near(h.series.windCleared[i], sum(rows.map((r) => r.wc)), MW * 2);
      near(h.series.solarAvailable[i], sum(rows.map((r) => r.su)), MW * 2);
      near(h.series.solarCleared[i], sum(rows.map((r) => r.sc)), MW * 2);
      checked++;
    });
    expect(checked).toBe(new Set(regionsum.map((r) => r.ts)).size);
  });

  it('time of day: the mean curtailed MW of the intervals ending in each NEM hour', async () => {
    const t = await q('curtailment.timeOfDay', { region: 'SA1', ...april() });
    const hourOf = (ts: number) => Math.floor((((ts - 300 + 36000) % 86400) + 86400) / 3600) % 24;
    for (const h of [3, 12, 18]) {
      const rows = regionsum.filter((r) => r.region === 'SA1' && hourOf(r.ts) === h);
      near(t.series.Wind[h], sum(rows.map((r) => curtailed(r.wu, r.wc))) / rows.length, 0.051);
      near(t.series.Solar[h], sum(rows.map((r) => curtailed(r.su, r.sc))) / rows.length, 0.051);
    }
  });

  it("a unit's curtailment is Σ (UIGF − TOTALCLEARED) × 5/60 over its capped intervals (none in this sample)", async () => {
    const u = await q('curtailment.units', { regions: ['SA1'], from: hdwf2[0].ts - 300, to: hdwf2.at(-1)!.ts });
    const capped = hdwf2.filter((r) => r.capped);
    expect(u.rows.map((r) => r.duid)).toEqual(['HDWF2']); // AGLHAL is gas: not semi-scheduled wind or solar
    expect(u.rows[0]).toMatchObject({ station: 'Hornsdale Wind Farm 2', region: 'SA1', fuel: 'Wind' });
    expect(u.rows[0].cappedIntervals).toBe(capped.length);
    near(u.rows[0].curtailedMwh, sum(capped.map((r) => r.uigf - r.cleared)) / 12, 0.001);
    near(u.rows[0].availableMwh, sum(hdwf2.map((r) => r.uigf)) / 12, 0.001);
  });
});

// The same day with HDWF2 cleared at half its forecast whenever it was capped, and a DISPATCHREGIONSUM file for SA1
// over 22:05–23:00 only (which four of those capped intervals fall in).
const HALF = (uigf: number) => Number((uigf / 2).toFixed(4));
function halvedWhenCapped(): string {
  let cols: string[] = [];
  return unitLines
    .map((line) => {
      const f = line.split(',');
      if (f[1] !== 'DISPATCH' || f[2] !== 'UNIT_SOLUTION') return line;
      if (f[0] === 'I') cols = f;
      if (f[0] !== 'D' || f[cols.indexOf('DUID')] !== 'HDWF2' || f[cols.indexOf('SEMIDISPATCHCAP')] !== '1')
        return line;
      f[cols.indexOf('TOTALCLEARED')] = String(HALF(Number(f[cols.indexOf('UIGF')])));
      return f.join(',');
    })
    .join('\n');
}
const RS_FROM = nemTime('2026/05/14 22:00:00');
const RS_TO = nemTime('2026/05/14 23:00:00');
function saRegionsum(): string {
  const rows: string[] = [];
  for (let ts = RS_FROM + 300; ts <= RS_TO; ts += 300) {
    const t = new Date((ts + 36000) * 1000).toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '/');
    rows.push(`D,DISPATCH,REGIONSUM,8,"${t}",1,SA1,1,0,1500,200,150,0,0`);
  }
  return [
    'C,NEMP.WORLD,DISPATCHIS,AEMO,PUBLIC',
    'I,DISPATCH,REGIONSUM,8,SETTLEMENTDATE,RUNNO,REGIONID,DISPATCHINTERVAL,INTERVENTION,TOTALDEMAND,SS_WIND_UIGF,SS_WIND_CLEAREDMW,SS_SOLAR_UIGF,SS_SOLAR_CLEAREDMW',
    ...rows,
    `C,"END OF REPORT",${rows.length + 3}`,
    '',
  ].join('\r\n');
}

describe('a region-interval without a regionsum row: the sum of its units, never both', () => {
  let store: TestStore;
  let ctx: QueryContext;
  beforeAll(async () => {
    store = await storeWith([], {
      'PUBLIC_NEXT_DAY_DISPATCH_TEST.CSV': halvedWhenCapped(),
      'REGIONSUM_TEST.CSV': saRegionsum(),
    });
    ctx = context(store.conn);
  });
  afterAll(() => store?.close());
  const day = () => ({ from: hdwf2[0].ts - 300, to: hdwf2.at(-1)!.ts });

  it("the unit's MWh curtailed and capped intervals are the raw rows' with TOTALCLEARED halved", async () => {
    const u = await ask(ctx, 'curtailment.units', { regions: ['SA1', 'NSW1'], ...day() });
    const capped = hdwf2.filter((r) => r.capped);
    expect(u.rows[0].duid).toBe('HDWF2');
    expect(u.rows[0].cappedIntervals).toBe(capped.length);
    near(u.rows[0].curtailedMwh, sum(capped.map((r) => r.uigf - HALF(r.uigf))) / 12, 0.001);
    near(u.rows[0].curtailedPct, (100 * u.rows[0].curtailedMwh) / u.rows[0].availableMwh, 0.006);
  });

  it("SA1: regionsum's rows where it has them, HDWF2's elsewhere; the NEM is SA1 (no other region has data)", async () => {
    const inRs = (ts: number) => ts > RS_FROM && ts <= RS_TO;
    const fromUnit = hdwf2.filter((r) => !inRs(r.ts));
    const expected = (12 * (200 - 150) + sum(fromUnit.filter((r) => r.capped).map((r) => r.uigf - HALF(r.uigf)))) / 12;
    for (const region of ['SA1', 'NEM']) {
      const h = await ask(ctx, 'curtailment.history', { region, ...day(), resolution: '5m' });
      near(h.totals[0].curtailedMwh, expected, 0.001);
      near(h.totals[0].availableMwh, (12 * 200 + sum(fromUnit.map((r) => r.uigf))) / 12, 0.001);
      expect(h.totals[1]).toMatchObject({ curtailedMwh: 0, availableMwh: 0, curtailedPct: null });
      h.time.forEach((ts, i) => {
        const unit = hdwf2.find((r) => r.ts === ts)!;
        near(h.series.windAvailable[i], inRs(ts) ? 200 : unit.uigf, MW);
        near(h.series.windCleared[i], inRs(ts) ? 150 : unit.capped ? HALF(unit.uigf) : unit.cleared, MW);
      });
    }
    const none = await ask(ctx, 'curtailment.history', { region: 'NSW1', ...day() });
    expect(none.totals[0]).toMatchObject({ curtailedMwh: 0, availableMwh: 0, curtailedPct: null });
    expect(none.series.windAvailable.every((v) => v === null)).toBe(true);
  });

  it('negative prices: intervals without a price row are left out', async () => {
    const p = await ask(ctx, 'curtailment.prices', { region: 'SA1', ...day() });
    expect(p.rows.map((r) => [r.prices, r.intervals, r.curtailedMwh])).toEqual([
      ['negative', 0, 0],
      ['nonNegative', 0, 0],
    ]);
  });
});

describe('the demo: plausible curtailment', () => {
  let store: TestStore;
  let ctx: QueryContext;
  beforeAll(async () => {
    store = await openTestStore();
    await ensureRegistry(store.conn);
    await buildDemo(store.conn, { days: 4 });
    const wm = await readWatermark(store.conn);
    ctx = { conn: store.conn, watermark: wm!.watermark, firstTs: wm!.firstTs };
  });
  afterAll(() => store?.close());
  const all = { range: 'all' };

  it('the NEM totals equal plain sums of the regionsum rows, and the units add up to them (no double count)', async () => {
    const [raw] = (
      await store.conn.runAndReadAll(`SELECT sum(greatest(ss_wind_uigf - ss_wind_clearedmw, 0)) / 12 AS wind,
        sum(greatest(ss_solar_uigf - ss_solar_clearedmw, 0)) / 12 AS solar, sum(ss_solar_uigf) / 12 AS solar_av FROM regionsum`)
    ).getRowObjectsJS() as { wind: number; solar: number; solar_av: number }[];
    const h = await ask(ctx, 'curtailment.history', { region: 'NEM', ...all });
    near(h.totals[0].curtailedMwh, raw.wind, 0.01);
    near(h.totals[1].curtailedMwh, raw.solar, 0.01);
    near(h.totals[1].availableMwh, raw.solar_av, 0.01);
    const units = await ask(ctx, 'curtailment.units', { ...all, limit: 200 });
    expect(units.rows.length).toBeLessThan(200);
    const byFuel = (f: string) => sum(units.rows.filter((r) => r.fuel === f).map((r) => r.curtailedMwh));
    near(byFuel('Wind'), raw.wind, 0.5);
    near(byFuel('Solar'), raw.solar, 0.5);
  });

  it('is never negative, and cleared never exceeds available', async () => {
    for (const region of ['NEM', 'SA1', 'QLD1']) {
      const h = await ask(ctx, 'curtailment.history', { region, ...all, resolution: '5m' });
      for (const f of ['wind', 'solar'] as const)
        h.series[`${f}Available`].forEach((v, i) =>
          expect(v! - h.series[`${f}Cleared`][i]!).toBeGreaterThanOrEqual(-1),
        );
      const t = await ask(ctx, 'curtailment.timeOfDay', { region, ...all });
      for (const v of [...t.series.Wind, ...t.series.Solar]) expect(v).toBeGreaterThanOrEqual(0);
    }
    const units = await ask(ctx, 'curtailment.units', { ...all, limit: 200 });
    for (const u of units.rows) {
      expect(u.curtailedMwh).toBeGreaterThanOrEqual(0);
      expect(u.curtailedMwh).toBeLessThanOrEqual(u.availableMwh);
    }
    // Sorted, most curtailed first.
    expect(units.rows.map((r) => r.curtailedMwh)).toEqual(
      [...units.rows.map((r) => r.curtailedMwh)].sort((a, b) => b - a),
    );
  });

  it('is mostly at middays, solar only in daylight, and a larger share of what was available at negative prices', async () => {
    const t = await ask(ctx, 'curtailment.timeOfDay', { region: 'NEM', ...all });
    const at = (hours: number[]) => sum(hours.map((h) => t.series.Wind[h]! + t.series.Solar[h]!)) / hours.length;
    expect(at([10, 11, 12, 13, 14])).toBeGreaterThan(at([0, 1, 2, 3, 4]));
    expect(at([10, 11, 12, 13, 14])).toBeGreaterThan(at([18, 19, 20, 21, 22]));
    for (const h of [0, 1, 2, 3, 21, 22, 23]) expect(t.series.Solar[h]).toBe(0);
    const p = await ask(ctx, 'curtailment.prices', { region: 'NEM', ...all });
    const [neg, other] = p.rows;
    expect([neg.prices, other.prices]).toEqual(['negative', 'nonNegative']);
    expect(neg.intervals).toBeGreaterThan(0);
    expect(neg.curtailedPct!).toBeGreaterThan(other.curtailedPct!);
    // Every demo interval has a price: the two parts add up to the whole, region-intervals and MWh.
    const h = await ask(ctx, 'curtailment.history', { region: 'NEM', ...all });
    expect(neg.intervals + other.intervals).toBe(5 * 4 * 288);
    near(neg.curtailedMwh + other.curtailedMwh, h.totals[0].curtailedMwh + h.totals[1].curtailedMwh, 0.01);
    near(neg.windCurtailedMwh + other.windCurtailedMwh, h.totals[0].curtailedMwh, 0.01);
  });
});
