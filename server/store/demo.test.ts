// The demo builder against real DuckDB files: deterministic, plausible, rollups consistent, append = bulk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERCONNECTORS, REGIONS, ROOFTOP_SUBREGIONS } from '../../shared/nem.ts';
import { openStore, readWatermark } from './db.ts';
import { appendDemo, buildDemo, DEFAULT_DEMO_SEED, DEMO_WATERMARK, isDemoIncomplete, type DemoResult } from './demo.ts';
import { IC_PARAMS } from './demo-params.ts';
import { loadRegistry, SEED_REGISTRY } from './registry.ts';

const DAYS = 7;
const root = mkdtempSync(join(tmpdir(), 'nem-demo-'));
const stores: { instance: DuckDBInstance; conn: DuckDBConnection }[] = [];

async function store(name: string): Promise<DuckDBConnection> {
  const { instance } = await openStore({ dataDir: join(root, name), threads: 2 });
  const conn = await instance.connect();
  stores.push({ instance, conn });
  await loadRegistry(conn, SEED_REGISTRY);
  return conn;
}
async function rows<T = Record<string, unknown>>(conn: DuckDBConnection, sql: string): Promise<T[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as T[];
}
async function scalar(conn: DuckDBConnection, sql: string): Promise<number> {
  return Number((await conn.runAndReadAll(sql)).getRows()[0][0]);
}

// Order-independent checksums of the raw tables, which are pure functions of (seed, interval, unit) and so must
// match bit for bit.
const CHECKSUMS: Record<string, string> = {
  units: 'sum(hash(duid, station, region, fuel, capacity_mw))',
  scada: 'sum(hash(ts, duid, mw))',
  price: 'sum(hash(ts, region, rrp, demand_mw))',
  interconnector: 'sum(hash(ts, id, mw, export_limit, import_limit, losses))',
  rooftop: 'sum(hash(ts, region, type, mw))',
  regionsum: `sum(hash(ts, region, totaldemand, demand_and_nonschedgen, netinterchange, ss_solar_uigf, ss_wind_uigf,
    ss_solar_clearedmw, ss_wind_clearedmw, ss_solar_availability, ss_wind_availability, bdu_clearedmw_gen, bdu_clearedmw_load))`,
  unit_dispatch: `sum(hash(ts, duid, totalcleared, availability, semidispatchcap, uigf, initial_energy_storage,
    energy_storage))`,
  p5min_region: 'sum(hash(run_ts, ts, region, rrp, totaldemand))',
  predispatch_price: 'sum(hash(run_ts, ts, region, rrp))',
  predispatch_demand: 'sum(hash(run_ts, ts, region, totaldemand))',
  meta: `sum(hash(key, value)) FILTER (key LIKE 'demo%')`,
};
/** Forecasts are compared run by run: a condition on intervals (ts) applies to their runs' stamps. */
const FORECASTS = new Set(['p5min_region', 'predispatch_price', 'predispatch_demand']);
async function checksums(conn: DuckDBConnection, where = 'TRUE'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, expr] of Object.entries(CHECKSUMS)) {
    const w =
      table === 'units' || table === 'meta'
        ? 'TRUE'
        : FORECASTS.has(table)
          ? where.replace(/\bts\b/g, 'run_ts')
          : where;
    out[table] = String(
      (await conn.runAndReadAll(`SELECT ${expr}, count(*) FROM ${table} WHERE ${w}`)).getRows()[0].join('/'),
    );
  }
  return out;
}

// Rollups are sums that DuckDB evaluates in parallel, in a varying order, so the last bits may differ between
// runs: compare them row by row (via Parquet, as two open stores cannot attach each other) within 1e-9 relative.
const ROLLUPS: Record<string, { keys: string[]; values: string[] }> = {
  gen_5m: { keys: ['ts', 'region', 'fuel'], values: ['mw', 'gen_mw', 'revenue', 'co2'] },
  gen_30m: { keys: ['ts', 'region', 'fuel'], values: ['mw', 'gen_mw', 'revenue', 'n', 'co2'] },
  gen_1d: { keys: ['ts', 'region', 'fuel'], values: ['mw', 'gen_mw', 'revenue', 'n', 'co2'] },
  unit_1d: { keys: ['ts', 'duid'], values: ['mwh', 'revenue', 'n', 'max_mw', 'co2'] },
};
async function rollupMismatches(
  x: DuckDBConnection,
  y: DuckDBConnection,
  where = 'TRUE',
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [table, { keys, values }] of Object.entries(ROLLUPS)) {
    const file = join(root, `${table}-${Math.random().toString(36).slice(2)}.parquet`);
    await y.run(`COPY (SELECT * FROM ${table} WHERE ${where}) TO '${file}' (FORMAT parquet)`);
    const differs = values
      .map((v) => `(a.${v} IS NULL) <> (b.${v} IS NULL) OR abs(a.${v} - b.${v}) > 1e-9 * greatest(1, abs(a.${v}))`)
      .join(' OR ');
    out[table] = await scalar(
      x,
      `SELECT count(*) FROM (SELECT * FROM ${table} WHERE ${where}) a
      FULL JOIN read_parquet('${file}') b USING (${keys.join(', ')}) WHERE ${differs}`,
    );
  }
  return out;
}
const NONE = { gen_5m: 0, gen_30m: 0, gen_1d: 0, unit_1d: 0 };

let a: DuckDBConnection;
let built: DemoResult;
const stages: string[] = [];

beforeAll(async () => {
  a = await store('a');
  built = await buildDemo(a, { days: DAYS, onProgress: (stage) => stages.push(stage) });
});

afterAll(() => {
  for (const s of stores) {
    s.conn.closeSync();
    s.instance.closeSync();
  }
  rmSync(root, { recursive: true, force: true });
});

describe('buildDemo', () => {
  it('writes every unit for every interval up to the fixed watermark, and records the build in meta', async () => {
    const n = DAYS * 288;
    const units = await scalar(a, 'SELECT count(*) FROM units');
    // unit_dispatch: wind and solar farms of 30 MW or more (semi-scheduled) and batteries
    const dispatched = await scalar(
      a,
      `SELECT count(*) FROM units WHERE fuel = 'Battery' OR (fuel IN ('Wind', 'Solar') AND capacity_mw >= 30)`,
    );
    expect(built.watermark).toBe(DEMO_WATERMARK);
    expect(new Date(DEMO_WATERMARK * 1000).toISOString()).toBe('2026-10-31T14:00:00.000Z'); // 2026-11-01 00:00 NEM time
    expect(built.rows).toEqual({
      scada: n * units,
      price: n * 5,
      interconnector: n * 6,
      rooftop: (n / 6) * 10,
      unit_dispatch: n * dispatched,
      regionsum: n * 5,
    });
    expect(await readWatermark(a)).toEqual({ watermark: DEMO_WATERMARK, firstTs: DEMO_WATERMARK - (n - 1) * 300 });
    expect(await scalar(a, 'SELECT count(DISTINCT duid) FROM scada')).toBe(units);
    const meta = Object.fromEntries(
      (await rows<{ key: string; value: string }>(a, 'SELECT key, value FROM meta')).map((r) => [r.key, r.value]),
    );
    expect(meta).toMatchObject({
      demo_seed: String(DEFAULT_DEMO_SEED),
      demo_days: String(DAYS),
      demo_watermark: String(DEMO_WATERMARK),
      demo_status: 'complete',
    });
    expect(await isDemoIncomplete(a)).toBe(false);
    expect(stages).toEqual([
      'setup',
      'regions, weather, flows, prices',
      'price, interconnector, rooftop rows',
      'unit SCADA rows',
      'unit dispatch, region summary rows',
      'forecasts',
      'rollups',
      'checkpoint',
    ]);
  });

  it('is deterministic: same seed, same rows in every table; another seed differs; ranges agree where they overlap', async () => {
    const b = await store('b');
    await buildDemo(b, { days: DAYS });
    expect(await checksums(b)).toEqual(await checksums(a));
    expect(await rollupMismatches(a, b)).toEqual(NONE);

    // a shorter build with the same seed reproduces the same intervals
    const c = await store('c');
    await buildDemo(c, { days: 2 });
    const lastTwoDays = `ts > ${DEMO_WATERMARK - 2 * 86400}`;
    const raw = ['scada', 'price', 'interconnector', 'rooftop', 'regionsum', 'unit_dispatch'];
    const pick = (x: Record<string, string>) => Object.fromEntries(raw.map((t) => [t, x[t]]));
    expect(pick(await checksums(c, lastTwoDays))).toEqual(pick(await checksums(a, lastTwoDays)));

    const d = await store('d');
    await buildDemo(d, { days: 2, seed: DEFAULT_DEMO_SEED + 1 });
    const other = pick(await checksums(d, lastTwoDays));
    for (const t of raw) expect(other[t], t).not.toBe(pick(await checksums(a, lastTwoDays))[t]);
  });

  it('refuses to build without a registry', async () => {
    const { instance } = await openStore({ dataDir: join(root, 'empty'), threads: 1 });
    const conn = await instance.connect();
    stores.push({ instance, conn });
    await expect(buildDemo(conn, { days: 1 })).rejects.toThrow(/units table is empty/);
    expect(await readWatermark(conn)).toBeNull();
  });
});

describe('demo plausibility', () => {
  // NEM hour of the middle of an interval ending at ts
  const HOUR = '(((ts - 150 + 36000) % 86400) / 3600.0)';

  it('utility solar is zero at night and produces by day', async () => {
    const [r] = await rows<{ night: number; noon: number }>(
      a,
      `SELECT
      max(mw) FILTER (${HOUR} < 4.5 OR ${HOUR} > 20.5) AS night, avg(mw) FILTER (${HOUR} BETWEEN 11.5 AND 12.5) AS noon
      FROM scada JOIN units USING (duid) WHERE fuel = 'Solar'`,
    );
    expect(r.night).toBe(0);
    expect(r.noon).toBeGreaterThan(5);
  });

  it('batteries charge (negative MW) at midday and discharge at the evening peak on most days', async () => {
    const days = await rows<{ midday: number; evening: number }>(
      a,
      `SELECT region, (ts - 300 + 36000) // 86400 AS day,
        avg(mw) FILTER (${HOUR} BETWEEN 11 AND 14) AS midday, avg(mw) FILTER (${HOUR} BETWEEN 18 AND 20) AS evening
      FROM gen_5m WHERE fuel = 'Battery' GROUP BY ALL`,
    );
    expect(days.length).toBeGreaterThanOrEqual(4 * DAYS); // TAS has no grid battery in the registry
    expect(days.filter((d) => d.midday < 0).length / days.length).toBeGreaterThan(0.8);
    expect(days.filter((d) => d.evening > 0).length / days.length).toBeGreaterThan(0.8);
  });

  it('every region has a price and demand for every interval', async () => {
    const per = await rows<{ region: string; n: number; nulls: number }>(
      a,
      `SELECT region, count(DISTINCT ts)::INTEGER AS n, count(*) FILTER (rrp IS NULL OR demand_mw IS NULL)::INTEGER AS nulls FROM price GROUP BY 1 ORDER BY 1`,
    );
    expect(per.map((p) => p.region).sort()).toEqual([...REGIONS].sort());
    for (const p of per) expect(p).toMatchObject({ n: DAYS * 288, nulls: 0 });
  });

  it('no unit exceeds its registered capacity (charging included)', async () => {
    const ratio = await scalar(a, 'SELECT max(abs(mw) / capacity_mw) FROM scada JOIN units USING (duid)');
    expect(ratio).toBeLessThanOrEqual(1.0001);
    expect(ratio).toBeGreaterThan(0.8);
  });

  it('prices go negative in SA and VIC, spike above $1,000, and stay within the market limits', async () => {
    const per = await rows<{ region: string; neg: number; max: number; min: number }>(
      a,
      `SELECT region, avg((rrp < 0)::INTEGER) AS neg, max(rrp) AS max, min(rrp) AS min FROM price GROUP BY 1`,
    );
    const by = Object.fromEntries(per.map((p) => [p.region, p]));
    expect(by.SA1.neg).toBeGreaterThan(0.05);
    expect(by.VIC1.neg).toBeGreaterThan(0.05);
    expect(Math.max(...per.map((p) => p.max))).toBeGreaterThan(1000);
    for (const p of per) {
      expect(p.max).toBeLessThanOrEqual(17500);
      expect(p.min).toBeGreaterThanOrEqual(-1000);
    }
  });

  it('interconnector flows stay within their limits, which come from NEM-FACTS', async () => {
    const links = await rows<{
      id: string;
      over: number;
      n: number;
      max_exp: number;
      min_imp: number;
      max_mw: number;
      min_mw: number;
    }>(
      a,
      `SELECT id, count(*) FILTER (mw > export_limit + 0.001 OR mw < import_limit - 0.001)::INTEGER AS over, count(*)::INTEGER AS n,
        max(export_limit) AS max_exp, min(import_limit) AS min_imp, max(mw) AS max_mw, min(mw) AS min_mw FROM interconnector GROUP BY 1`,
    );
    expect(links.map((l) => l.id).sort()).toEqual(INTERCONNECTORS.map((i) => i.id).sort());
    for (const l of links) {
      const p = IC_PARAMS.find((i) => i.id === l.id)!;
      expect(l, l.id).toMatchObject({ over: 0, n: DAYS * 288 });
      expect(l.max_exp).toBeLessThanOrEqual(p.exportLimit);
      expect(l.min_imp).toBeGreaterThanOrEqual(-p.importLimit);
      expect(l.max_mw - l.min_mw, `${l.id} moves`).toBeGreaterThan(10);
    }
  });

  it('power flows toward the dearer region', async () => {
    const [r] = await rows<{ agree: number; n: number }>(
      a,
      `
      WITH p AS (SELECT ts, region, rrp FROM price),
      f AS (SELECT i.ts, i.mw, pf.rrp AS p_from, pt.rrp AS p_to FROM interconnector i
        JOIN (VALUES ${INTERCONNECTORS.map((i) => `('${i.id}', '${i.from}', '${i.to}')`).join(', ')}) m(id, f, t) USING (id)
        JOIN p pf ON pf.ts = i.ts AND pf.region = m.f JOIN p pt ON pt.ts = i.ts AND pt.region = m.t)
      SELECT avg((mw * (p_to - p_from) > 0)::INTEGER) AS agree, count(*)::INTEGER AS n FROM f WHERE abs(p_to - p_from) > 10 AND abs(mw) > 20`,
    );
    expect(r.n).toBeGreaterThan(100);
    expect(r.agree).toBeGreaterThan(0.9);
  });

  it('rooftop has the five parents and the five sub-regions, and gen_5m uses only the parent rows', async () => {
    const regions = await rows<{ region: string; n: number }>(
      a,
      `SELECT region, count(*)::INTEGER AS n FROM rooftop WHERE type = 'MEASUREMENT' GROUP BY 1`,
    );
    expect(regions.map((r) => r.region).sort()).toEqual([...REGIONS, ...ROOFTOP_SUBREGIONS].sort());
    for (const r of regions) expect(r.n).toBe(DAYS * 48);
    const [cmp] = await rows<{ n: number; parent_diff: number; with_subs_diff: number }>(
      a,
      `
      SELECT count(*)::INTEGER AS n, max(abs(g.mw - p.mw)) AS parent_diff, max(abs(g.mw - p.mw - s.mw)) AS with_subs_diff
      FROM gen_5m g
      JOIN rooftop p ON p.region = g.region AND p.ts = ((g.ts + 1799) // 1800) * 1800
      JOIN (SELECT ts, sum(mw) AS mw FROM rooftop WHERE region IN ('QLDC', 'QLDN', 'QLDS') GROUP BY ts) s ON s.ts = p.ts
      WHERE g.region = 'QLD1' AND g.fuel = 'Rooftop Solar'`,
    );
    expect(cmp.n).toBe(DAYS * 288);
    expect(cmp.parent_diff).toBeLessThan(1e-9);
    expect(cmp.with_subs_diff).toBeGreaterThan(100); // sub-regions carry real MW; adding them would show
  });

  it('rollups agree: a day of gen_5m sums to gen_1d × n, and unit_1d to the raw SCADA', async () => {
    const [r] = await rows<{ groups: number; worst: number }>(
      a,
      `
      WITH d AS (SELECT ((ts - 300 + 36000) // 86400) * 86400 - 36000 AS day, region, fuel, sum(mw) AS mw, count(*) AS n FROM gen_5m GROUP BY ALL)
      SELECT count(*)::INTEGER AS groups, max(abs(d.mw - g.mw * g.n) / greatest(1, abs(d.mw))) AS worst
      FROM d JOIN gen_1d g ON g.ts = d.day AND g.region = d.region AND g.fuel = d.fuel AND g.n = d.n`,
    );
    expect(r.groups).toBe(await scalar(a, 'SELECT count(*) FROM gen_1d'));
    expect(r.worst).toBeLessThan(1e-9);
    const [u] = await rows<{ worst: number }>(
      a,
      `
      WITH s AS (SELECT ((ts - 300 + 36000) // 86400) * 86400 - 36000 AS day, duid, sum(mw) / 12 AS mwh FROM scada GROUP BY ALL)
      SELECT max(abs(s.mwh - u.mwh)) AS worst FROM s JOIN unit_1d u ON u.ts = s.day AND u.duid = s.duid`,
    );
    expect(u.worst).toBeLessThan(1e-6);
  });
});

describe('appendDemo', () => {
  it('advances the watermark by one interval, deterministically, with the same rows a bulk build makes', async () => {
    const e = await store('e');
    await buildDemo(e, { days: 1 });
    const d1 = await store('e-reference');
    await buildDemo(d1, { days: 1 });
    // regenerate the last bulk interval through the append path: identical rows
    const last = `ts = ${DEMO_WATERMARK}`;
    const before = await checksums(e, last);
    for (const t of ['scada', 'price', 'interconnector', 'regionsum', 'unit_dispatch']) {
      await e.run(`DELETE FROM ${t} WHERE ${last}`);
    }
    expect(await appendDemo(e)).toBe(DEMO_WATERMARK);
    expect(await checksums(e, last)).toEqual(before);
    expect(await rollupMismatches(e, d1, `ts >= ${DEMO_WATERMARK - 86400}`)).toEqual(NONE);

    // then two new intervals; the first opens a half hour, so its rooftop half-hour row is written with it
    expect(await appendDemo(e)).toBe(DEMO_WATERMARK + 300);
    expect(await appendDemo(e)).toBe(DEMO_WATERMARK + 600);
    expect((await readWatermark(e))?.watermark).toBe(DEMO_WATERMARK + 600);
    expect(await scalar(e, `SELECT count(*) FROM rooftop WHERE ts = ${DEMO_WATERMARK + 1800}`)).toBe(10);
    expect(
      await scalar(e, `SELECT count(*) FROM gen_5m WHERE ts = ${DEMO_WATERMARK + 600} AND fuel = 'Rooftop Solar'`),
    ).toBe(5);
    expect(await scalar(e, `SELECT value FROM meta WHERE key = 'demo_watermark'`)).toBe(DEMO_WATERMARK + 600);

    // a second store appending the same intervals gets the same rows
    const f = await store('f');
    await buildDemo(f, { days: 1 });
    await appendDemo(f);
    await appendDemo(f);
    const fresh = `ts > ${DEMO_WATERMARK}`;
    expect(await checksums(f, fresh)).toEqual(await checksums(e, fresh));
    expect(await rollupMismatches(f, e, fresh)).toEqual(NONE);
    expect(await scalar(f, `SELECT count(*) FROM scada WHERE ts = ${DEMO_WATERMARK + 600}`)).toBe(
      await scalar(f, 'SELECT count(*) FROM units'),
    );
  });

  it('appends a range of intervals exactly as a bulk build to that end makes them, and ends where asked', async () => {
    const end = DEMO_WATERMARK + 40 * 300; // crosses half hours and hours, with the rooftop rows they open
    const a = await store('range-append');
    await buildDemo(a, { days: 1 });
    expect(await appendDemo(a, undefined, end)).toBe(end);
    expect(await appendDemo(a, undefined, end)).toBe(end); // nothing due: nothing written twice
    const b = await store('range-built');
    const built = await buildDemo(b, { days: 1, end, followsClock: true });
    expect(built).toMatchObject({ watermark: end, firstTs: end - 287 * 300 });
    expect(await scalar(b, `SELECT value FROM meta WHERE key = 'demo_follows_clock'`)).toBe(1);
    // Every table's new rows (meta differs: b's first interval is later)
    const fresh = async (c: DuckDBConnection) =>
      Object.entries(await checksums(c, `ts > ${DEMO_WATERMARK}`)).filter(([table]) => table !== 'meta');
    expect(await fresh(a)).toEqual(await fresh(b));
    expect(await rollupMismatches(a, b, `ts >= ${DEMO_WATERMARK}`)).toEqual(NONE);
    expect(
      await scalar(a, `SELECT count(*) FROM (SELECT ts, region FROM price GROUP BY ALL HAVING count(*) > 1)`),
    ).toBe(0);
    await expect(buildDemo(b, { days: 1, end: end + 1 })).rejects.toThrow(/5-minute grid/);
    await expect(appendDemo(a, undefined, end + 301)).rejects.toThrow(/5-minute grid/);
  });

  it('refuses to append to an empty store', async () => {
    const g = await store('g');
    await expect(appendDemo(g)).rejects.toThrow(/no prices yet/);
  });
});
