// The rollups' t CO2-e (schema version 4): checked against sums computed here from the raw SCADA rows and each unit's
// factor, kept right when an older store is opened, and recomputed when a CDEII file changes the factors.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { fill, openTestStore, rawRows, T0, UNITS, type TestStore } from '../../test/util/synthetic-data.ts';
import { openStore } from './db.ts';
import { ingestFiles } from './ingest.ts';
import { ensureRegistry } from './registry.ts';
import { refreshRollups } from './rollups.ts';
import { readGeneration } from './version.ts';

const CDEII = join(import.meta.dirname, '../../test/fixtures/aemo-cdeii/CO2EII_AVAILABLE_GENERATORS.CSV');
/** The synthetic units have no technology: coal gets the common (sub-critical black coal) factor, the rest none. */
const SYNTHETIC_FACTOR: Record<string, number> = { COAL1: 0.93, COAL2: 0.93 };
const dayOf = (ts: number) => Math.floor((ts - 300 + 36000) / 86400) * 86400 - 36000;

const opened: TestStore[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});
async function testStore(): Promise<TestStore> {
  const s = await openTestStore();
  opened.push(s);
  return s;
}
const all = async (conn: DuckDBConnection, sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();

/** Σ max(MW, 0) × factor × 5/60 per key, over the raw rows. */
function tonnes<T extends { mw: number }>(rows: T[], factor: (r: T) => number, key: (r: T) => string) {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + (Math.max(r.mw, 0) * factor(r)) / 12);
  return out;
}

/** `digits` as toBeCloseTo's: 6 for sums of raw terms; 3 where 5-minute values (each a whole millionth) are summed. */
function expectMatches(
  got: Record<string, unknown>[],
  key: (r: Record<string, unknown>) => string,
  want: Map<string, number>,
  digits = 6,
) {
  const seen = new Map(got.map((r) => [key(r), Number(r.co2)]));
  for (const [k, t] of want) expect(seen.get(k), k).toBeCloseTo(t, digits);
}

describe('t CO2-e in the rollups', () => {
  it('gen_5m, gen_30m, gen_1d and unit_1d hold Σ max(MW, 0) × factor × 5/60 of the raw SCADA', async () => {
    const { conn } = await testStore();
    const raw = rawRows();
    await fill(conn, raw);
    const regionOf = new Map<string, string>(UNITS.map((u) => [u.duid, u.region]));
    const fuelOf = new Map<string, string>(UNITS.map((u) => [u.duid, u.fuel]));
    const factor = (r: { duid: string }) => SYNTHETIC_FACTOR[r.duid] ?? 0;

    const perUnitDay = tonnes(raw.scada, factor, (r) => `${dayOf(r.ts)}|${r.duid}`);
    expectMatches(await all(conn, 'SELECT ts, duid, co2 FROM unit_1d'), (r) => `${r.ts}|${r.duid}`, perUnitDay);
    const per5m = tonnes(raw.scada, factor, (r) => `${r.ts}|${regionOf.get(r.duid)}|${fuelOf.get(r.duid)}`);
    expectMatches(
      await all(conn, 'SELECT ts, region, fuel, co2 FROM gen_5m'),
      (r) => `${r.ts}|${r.region}|${r.fuel}`,
      per5m,
    );
    const per30m = tonnes(
      raw.scada,
      factor,
      (r) => `${Math.ceil(r.ts / 1800) * 1800}|${regionOf.get(r.duid)}|${fuelOf.get(r.duid)}`,
    );
    expectMatches(
      await all(conn, 'SELECT ts, region, fuel, co2 FROM gen_30m'),
      (r) => `${r.ts}|${r.region}|${r.fuel}`,
      per30m,
      3,
    );
    const coal = raw.scada.filter((r) => fuelOf.get(r.duid) === 'Coal');
    const perDay = tonnes(coal, factor, (r) => `${dayOf(r.ts)}|${regionOf.get(r.duid)}`);
    const coalDays = await all(conn, `SELECT ts, region, co2 FROM gen_1d WHERE fuel = 'Coal'`);
    expectMatches(coalDays, (r) => `${r.ts}|${r.region}`, perDay, 3);
    expect(coalDays.length).toBe(4); // three days starting mid-day: four NEM days
    // Imports count where they were generated, rooftop solar emits nothing, and no row is left without a value.
    const [zero] = await all(
      conn,
      `SELECT count(*) FILTER (WHERE fuel IN ('Rooftop Solar', 'Transmission', 'Wind', 'Solar', 'Battery') AND co2 <> 0)::INTEGER AS clean,
        count(*) FILTER (WHERE co2 IS NULL)::INTEGER AS missing FROM gen_5m`,
    );
    expect(zero).toEqual({ clean: 0, missing: 0 });
  });
});

describe('a store from before emissions (schema version 3)', () => {
  it('gets the co2 columns and their values when opened, once, and cached answers are retired', async () => {
    const s = await openTestStore();
    let { instance, conn } = s;
    const reopen = async () => {
      conn.closeSync();
      instance.closeSync();
      ({ instance } = await openStore({ dataDir: s.dir, threads: 1 }));
      conn = await instance.connect();
    };
    try {
      await fill(conn, rawRows());
      const snapshot = async () => ({
        gen_5m: await all(conn, 'SELECT ts, region, fuel, co2 FROM gen_5m ORDER BY ALL'),
        gen_30m: await all(conn, 'SELECT ts, region, fuel, co2 FROM gen_30m ORDER BY ALL'),
        gen_1d: await all(conn, 'SELECT ts, region, fuel, co2 FROM gen_1d ORDER BY ALL'),
        unit_1d: await all(conn, 'SELECT ts, duid, co2 FROM unit_1d ORDER BY ALL'),
      });
      const want = await snapshot();
      // What a version-3 store looks like: no co2 anywhere.
      for (const t of ['gen_5m', 'gen_30m', 'gen_1d', 'unit_1d']) await conn.run(`ALTER TABLE ${t} DROP COLUMN co2`);
      await conn.run(`UPDATE meta SET value = '3' WHERE key = 'schema_version'`);
      const before = await readGeneration(conn);

      await reopen();
      expect(await snapshot()).toEqual(want);
      const [version] = await all(conn, `SELECT value FROM meta WHERE key = 'schema_version'`);
      expect(version.value).toBe('5');
      const migrated = await readGeneration(conn);
      expect(migrated).not.toBe(before);

      // Opening it again changes nothing.
      await reopen();
      expect(await readGeneration(conn)).toBe(migrated);
    } finally {
      conn.closeSync();
      instance.closeSync();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
});

describe('a CDEII file imported after the data', () => {
  it('recomputes the past emissions of the units it lists, and only theirs', async () => {
    const { conn } = await testStore();
    await ensureRegistry(conn);
    // A day of output: Bayswater 1 (black coal), Torrens Island B1 (gas steam), Loy Yang A1 (not in the file).
    const scada: { ts: number; duid: string; mw: number }[] = [];
    for (let i = 1; i <= 288; i++) {
      const ts = T0 + i * 300;
      scada.push({ ts, duid: 'BW01', mw: 500 + (i % 13) * 7.5 });
      scada.push({ ts, duid: 'TORRB1', mw: i % 3 === 0 ? -1.5 : 120 + (i % 5) });
      scada.push({ ts, duid: 'LYA1', mw: 480 + (i % 4) });
    }
    await conn.run(`INSERT INTO scada VALUES ${scada.map((r) => `(${r.ts}, '${r.duid}', ${r.mw})`).join(', ')}`);
    await refreshRollups(conn, T0, T0 + 288 * 300);
    const unitTonnes = async (duid: string) =>
      Number((await all(conn, `SELECT sum(co2) AS t FROM unit_1d WHERE duid = '${duid}'`))[0].t);
    const expected = (duid: string, factor: number) =>
      tonnes(
        scada.filter((r) => r.duid === duid),
        () => factor,
        () => duid,
      ).get(duid)!;
    const technologyFactor = async (duid: string) =>
      Number((await all(conn, `SELECT factor FROM unit_factor WHERE duid = '${duid}'`))[0].factor);

    // Before: each unit's technology factor.
    for (const duid of ['BW01', 'TORRB1', 'LYA1'])
      expect(await unitTonnes(duid)).toBeCloseTo(expected(duid, await technologyFactor(duid)), 6);
    expect(await technologyFactor('BW01')).not.toBe(0.91);
    const brown = await unitTonnes('LYA1');

    const report = await ingestFiles(conn, [CDEII]);
    expect(report.rejected).toBe(0);
    // After: the file's factors (Torrens Island B1's two gensets averaged), in every rollup.
    expect(await unitTonnes('BW01')).toBeCloseTo(expected('BW01', 0.91), 6);
    expect(await unitTonnes('TORRB1')).toBeCloseTo(expected('TORRB1', 0.62), 6);
    expect(await unitTonnes('LYA1')).toBe(brown);
    const [nsw] = await all(conn, `SELECT sum(co2) AS t FROM gen_1d WHERE region = 'NSW1' AND fuel = 'Coal'`);
    expect(Number(nsw.t)).toBeCloseTo(expected('BW01', 0.91), 3);

    // The same file again (AEMO republishes it daily, mostly unchanged): no factor moved, so no recompute, which a
    // marked rollup row shows by staying marked.
    await conn.run(`UPDATE unit_1d SET co2 = -1 WHERE duid = 'LYA1'`);
    const generation = await readGeneration(conn);
    expect((await ingestFiles(conn, [CDEII])).rejected).toBe(0);
    expect(await unitTonnes('LYA1')).toBeLessThan(0);
    expect(await readGeneration(conn)).toBe(generation); // nor are cached answers retired
  });
});
