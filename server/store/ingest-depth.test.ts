// Per-unit dispatch (NEXT_DAY_DISPATCH UNIT_SOLUTION, the Daily report's DUNIT), the available MW of wind and solar
// units (NEXT_DAY_INTERMITTENT_GEN_SCADA) and CDEII emission factors, from AEMO's files into a real store. Every
// figure is checked against a sum computed here from the raw CSV rows, not from the store.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './db.ts';
import { ingestBuffer, ingestFiles } from './ingest.ts';
import { ensureRegistry } from './registry.ts';
import { readGeneration } from './version.ts';

const DEPTH = join(import.meta.dirname, '../../test/fixtures/aemo-depth');
const NEXT_DAY = join(DEPTH, 'PUBLIC_NEXT_DAY_DISPATCH_20260514_0000000517721207.zip');
const INTERMITTENT = join(DEPTH, 'PUBLIC_NEXT_DAY_INTERMITTENT_GEN_SCADA_20260514_0000000517721212.zip');
const CDEII = join(import.meta.dirname, '../../test/fixtures/aemo-cdeii/CO2EII_AVAILABLE_GENERATORS.CSV');

const opened: { dir: string; instance: DuckDBInstance; conn: DuckDBConnection }[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) {
    s.conn.closeSync();
    s.instance.closeSync();
    rmSync(s.dir, { recursive: true, force: true });
  }
});

async function store(): Promise<DuckDBConnection> {
  const dir = mkdtempSync(join(tmpdir(), 'nem-depth-'));
  const { instance } = await openStore({ dataDir: dir, threads: 2 });
  const conn = await instance.connect();
  opened.push({ dir, instance, conn });
  await ensureRegistry(conn);
  return conn;
}

const all = async (conn: DuckDBConnection, sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();

/** The D rows of one MMS table in a zipped CSV, as objects keyed by the I row's column names. */
function rawRows(zip: string, table: string): Record<string, string>[] {
  const [csv] = Object.values(unzipSync(readFileSync(zip)));
  let columns: string[] = [];
  const out: Record<string, string>[] = [];
  for (const line of new TextDecoder().decode(csv).split(/\r?\n/)) {
    const f = line.split(',');
    if (`${f[1]},${f[2]}` !== table) continue;
    if (f[0] === 'I') columns = f.slice(4);
    else if (f[0] === 'D') out.push(Object.fromEntries(columns.map((c, i) => [c, f[4 + i]])));
  }
  return out;
}

/** The unit_dispatch rows as they would be compared across imports. */
const dispatchRows = (conn: DuckDBConnection) => all(conn, 'SELECT * FROM unit_dispatch ORDER BY ts, duid');

describe('per-unit dispatch', () => {
  it('stores UNIT_SOLUTION: curtailment and availability equal the raw rows', async () => {
    const conn = await store();
    const report = await ingestFiles(conn, [NEXT_DAY]);
    expect(report.rejected).toBe(0);
    const raw = rawRows(NEXT_DAY, 'DISPATCH,UNIT_SOLUTION').filter((r) => r.INTERVENTION === '0');
    expect(report.rows.unit_dispatch).toBe(raw.length);
    const hdwf = raw.filter((r) => r.DUID === 'HDWF2');
    const curtailed = hdwf.reduce((s, r) => s + (Number(r.UIGF) - Number(r.TOTALCLEARED)), 0);
    const available = hdwf.reduce((s, r) => s + Number(r.AVAILABILITY), 0);
    const capped = hdwf.filter((r) => r.SEMIDISPATCHCAP === '1').length;
    const [got] = await all(
      conn,
      `SELECT sum(uigf - totalcleared) AS curtailed, sum(availability) AS available,
        count(*) FILTER (WHERE semidispatchcap = 1)::INTEGER AS capped FROM unit_dispatch WHERE duid = 'HDWF2'`,
    );
    expect(got.curtailed).toBeCloseTo(curtailed, 6);
    expect(got.available).toBeCloseTo(available, 6);
    expect(got.capped).toBe(capped);
    // A gas unit has no storage: blank in the file, NULL in the store (not 0).
    const [gas] = await all(
      conn,
      `SELECT count(energy_storage)::INTEGER AS n FROM unit_dispatch WHERE duid = 'AGLHAL'`,
    );
    expect(gas.n).toBe(raw.filter((r) => r.DUID === 'AGLHAL' && r.ENERGY_STORAGE !== '').length);
  });

  it("the Daily report's DUNIT never blanks what UNIT_SOLUTION stored, in either order", async () => {
    const raw = rawRows(NEXT_DAY, 'DISPATCH,UNIT_SOLUTION').filter((r) => r.INTERVENTION === '0');
    // The Daily report carries the same dispatch solution with fewer columns (its DUNIT table).
    const dunit = [
      'C,NEMP.WORLD,DAILY,AEMO,PUBLIC,2026/05/15,04:05:04,0000000517720737,,0000000517720737',
      'I,DUNIT,,3,SETTLEMENTDATE,RUNNO,DUID,INTERVENTION,DISPATCHMODE,TOTALCLEARED,AVAILABILITY',
      ...raw.map((r) => `D,DUNIT,,3,${r.SETTLEMENTDATE},1,${r.DUID},0,0,${r.TOTALCLEARED},${r.AVAILABILITY}`),
      'C,"END OF REPORT",3',
    ].join('\n');
    const bytes = new TextEncoder().encode(dunit);
    const forwards = await store();
    await ingestBuffer(forwards, 'PUBLIC_DAILY_TEST.CSV', bytes);
    await ingestFiles(forwards, [NEXT_DAY]);
    const backwards = await store();
    await ingestFiles(backwards, [NEXT_DAY]);
    await ingestBuffer(backwards, 'PUBLIC_DAILY_TEST.CSV', bytes);
    const rows = await dispatchRows(forwards);
    expect(rows).toEqual(await dispatchRows(backwards));
    expect(rows.filter((r) => r.uigf !== null).length).toBe(raw.filter((r) => r.UIGF !== '').length);
  });

  it('stores what wind and solar units told the dispatch engine (ELAV, LOCL)', async () => {
    const conn = await store();
    await ingestFiles(conn, [INTERMITTENT]);
    const raw = rawRows(INTERMITTENT, 'DEMAND,INTERMITTENT_GEN_SCADA');
    for (const type of ['ELAV', 'LOCL']) {
      const rows = raw.filter((r) => r.SCADA_TYPE === type);
      const [got] = await all(
        conn,
        `SELECT count(*)::INTEGER AS n, sum(mw) AS mw FROM unit_scada_limits WHERE type = '${type}'`,
      );
      expect(got.n).toBe(rows.length);
      expect(got.mw).toBeCloseTo(
        rows.reduce((s, r) => s + Number(r.SCADA_VALUE), 0),
        6,
      );
    }
  });
});

describe('emission factors', () => {
  it("takes CDEII's factor per DUID (the mean over its gensets), a technology's otherwise, and says which", async () => {
    const conn = await store();
    const before = await readGeneration(conn);
    const report = await ingestFiles(conn, [CDEII]);
    expect(report.rejected).toBe(0);
    expect(report.rows.emission_factors).toBe(4);
    expect(await readGeneration(conn)).not.toBe(before); // past emissions change: cached answers must not be served
    const factor = async (duid: string) =>
      (await all(conn, `SELECT factor, source FROM unit_factor WHERE duid = '${duid}'`))[0];
    expect(await factor('BW01')).toEqual({ factor: 0.91, source: 'CDEII' });
    expect(await factor('APPIN')).toEqual({ factor: 0.56318004, source: 'CDEII' });
    expect((await factor('TORRB1')).factor).toBeCloseTo((0.6 + 0.64) / 2, 12);
    expect(await factor('HAUGHT11')).toEqual({ factor: 0, source: 'CDEII' });
    // Not in the file: brown coal, a wind farm, a bagasse unit on a steam turbine (not coal, whatever its turbine).
    expect(await factor('LYA1')).toEqual({ factor: 1.2, source: 'technology' });
    expect(await factor('HDWF2')).toEqual({ factor: 0, source: 'technology' });
    const [bagasse] = await all(
      conn,
      `SELECT f.factor FROM unit_factor f JOIN units u USING (duid) WHERE u.technology ILIKE '%bagasse%' LIMIT 1`,
    );
    expect(bagasse.factor).toBe(0);
    // Every fossil unit has a positive factor; nothing else has one.
    const [check] = await all(
      conn,
      `SELECT count(*) FILTER (WHERE u.fuel IN ('Coal', 'Gas') AND f.factor <= 0)::INTEGER AS fossil_zero,
        count(*) FILTER (WHERE u.fuel NOT IN ('Coal', 'Gas', 'Other') AND f.factor > 0)::INTEGER AS clean_positive
       FROM unit_factor f JOIN units u USING (duid)`,
    );
    expect(check).toEqual({ fossil_zero: 0, clean_positive: 0 });
  });

  it("ignores CDEII's summary file, which shares the table name but has no units", async () => {
    const conn = await store();
    const summary = [
      'C,SETP.WORLD,CO2EII_SUMMARY_RESULTS_WEB,AEMO,PUBLIC,2026/08/07,09:48:17,0000000531409886,,0000000531409867',
      'I,CO2EII,PUBLISHING,1,SETTLEMENTDATE,REGIONID,TOTAL_SENT_OUT_ENERGY,TOTAL_EMISSIONS,CO2E_INTENSITY_INDEX',
      'D,CO2EII,PUBLISHING,1,"2026/08/06 00:00:00",NEM,480000,290000,0.60',
      'C,"END OF REPORT",3',
    ].join('\n');
    const report = await ingestBuffer(conn, 'CO2EII_SUMMARY_RESULTS.CSV', new TextEncoder().encode(summary));
    expect(report.rows.emission_factors).toBeUndefined();
    expect(report.skipped['CO2EII PUBLISHING']).toBe(1);
  });
});
