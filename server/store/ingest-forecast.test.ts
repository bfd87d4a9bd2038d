// P5MIN REGIONSOLUTION and PREDISPATCH REGION_PRICES / REGION_SOLUTION from the hand-made fixtures
// (test/fixtures/aemo-forecast/SOURCES.md) into a real store: every run kept, intervention rows left out, columns found
// by name whatever their order, unknown columns ignored, old runs pruned. Expected rows are read here from the CSV
// text.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './db.ts';
import { ingestBuffer, ingestFiles } from './ingest.ts';
import { readGeneration } from './version.ts';
import { expectedRows, FORECAST_DIR, nem } from '../../test/util/forecast-fixtures.ts';
import { p5min, predispatch } from '../../bench/nemweb/files.ts';

const P5_A = join(FORECAST_DIR, 'PUBLIC_P5MIN_202604010405_20260401040045.CSV');
const P5_B = join(FORECAST_DIR, 'PUBLIC_P5MIN_202604010410_20260401040545.CSV');
const PD_A = join(FORECAST_DIR, 'PUBLIC_PREDISPATCHIS_202604010430_20260401040250.CSV');
const PD_B = join(FORECAST_DIR, 'PUBLIC_PREDISPATCHIS_202604010500_20260401043250.CSV');
const PRICES = join(
  import.meta.dirname,
  '../../test/fixtures/aemo/PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip',
);

const opened: { dir: string; instance: DuckDBInstance; conn: DuckDBConnection }[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) {
    s.conn.closeSync();
    s.instance.closeSync();
    rmSync(s.dir, { recursive: true, force: true });
  }
});

async function store(): Promise<DuckDBConnection> {
  const dir = mkdtempSync(join(tmpdir(), 'nem-forecast-'));
  const { instance } = await openStore({ dataDir: dir, threads: 2 });
  const conn = await instance.connect();
  opened.push({ dir, instance, conn });
  return conn;
}

const all = async (conn: DuckDBConnection, sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();

const stored = (conn: DuckDBConnection, table: string, value: string) =>
  all(conn, `SELECT run_ts, ts, region, ${value} AS v FROM ${table} ORDER BY run_ts, ts, region`);

describe('forecast ingest', () => {
  it('keeps every run × interval × region of P5MIN and pre-dispatch, intervention rows left out', async () => {
    const conn = await store();
    const report = await ingestFiles(conn, [FORECAST_DIR]);
    expect(report.rejected).toBe(0);
    const p5 = expectedRows([P5_A, P5_B], 'P5MIN,REGIONSOLUTION', 'RRP');
    expect(p5).toHaveLength(2 * 12 * 2);
    expect(await stored(conn, 'p5min_region', 'rrp')).toEqual(p5);
    const p5Demand = expectedRows([P5_A, P5_B], 'P5MIN,REGIONSOLUTION', 'TOTALDEMAND');
    expect(await stored(conn, 'p5min_region', 'totaldemand')).toEqual(p5Demand);
    const pdPrice = expectedRows([PD_A, PD_B], 'PREDISPATCH,REGION_PRICES', 'RRP');
    expect(pdPrice).toHaveLength(2 * 6 * 2);
    expect(await stored(conn, 'predispatch_price', 'rrp')).toEqual(pdPrice);
    const pdDemand = expectedRows([PD_A, PD_B], 'PREDISPATCH,REGION_SOLUTION', 'TOTALDEMAND');
    expect(await stored(conn, 'predispatch_demand', 'totaldemand')).toEqual(pdDemand);
    // The intervention rows carry values no kept row has.
    expect(await all(conn, 'SELECT count(*)::INTEGER AS n FROM p5min_region WHERE rrp = 999.99')).toEqual([{ n: 0 }]);
    expect(await all(conn, 'SELECT count(*)::INTEGER AS n FROM predispatch_price WHERE rrp = 5000')).toEqual([
      { n: 0 },
    ]);
    const a = report.files.find((f) => f.file === P5_A)!;
    expect(a.notes.join(' ')).toMatch(/3 rows of the intervention pricing run left out/);
    // The case solutions are not imported, and say so.
    expect(report.files.find((f) => f.file === PD_A)!.skipped).toEqual({ 'PREDISPATCH CASE_SOLUTION': 1 });
    // Run stamps: P5MIN's RUN_DATETIME; pre-dispatch's sequence number 2026040101 ends 04:30, 2026040102 05:00.
    expect((await all(conn, 'SELECT DISTINCT run_ts FROM predispatch_price ORDER BY 1')).map((r) => r.run_ts)).toEqual([
      nem('2026/04/01 04:30:00'),
      nem('2026/04/01 05:00:00'),
    ]);
  });

  it('is idempotent, and reports when each file’s run is shown rather than its intervals', async () => {
    const conn = await store();
    const first = await ingestFiles(conn, [P5_A, PD_A]);
    // P5MIN run 04:05 is shown from the watermark 04:10; pre-dispatch run 04:30 from 04:10 (10 minutes into its half
    // hour).
    expect(first.files[0].window).toEqual({ minTs: nem('2026/04/01 04:10:00'), maxTs: nem('2026/04/01 04:10:00') });
    expect(first.files[1].window).toEqual({ minTs: nem('2026/04/01 04:10:00'), maxTs: nem('2026/04/01 04:10:00') });
    const before = await all(conn, 'SELECT * FROM p5min_region ORDER BY ALL');
    await ingestFiles(conn, [P5_A, PD_A]);
    expect(await all(conn, 'SELECT * FROM p5min_region ORDER BY ALL')).toEqual(before);
    expect(await all(conn, 'SELECT count(*)::INTEGER AS n FROM predispatch_price')).toEqual([{ n: 12 }]);
  });

  it('a run landing after the watermark it is shown at is a revision: the data version goes up', async () => {
    const conn = await store();
    await ingestFiles(conn, [P5_A]);
    const g0 = await readGeneration(conn);
    await ingestFiles(conn, [PRICES]); // watermark 2026/05/01: the run of 04/01 is long due
    const g1 = await readGeneration(conn);
    await ingestFiles(conn, [P5_B]);
    expect(await readGeneration(conn)).not.toBe(g1);
    expect(g1).toBe(g0); // prices after the watermark (an empty store's) are no revision
  });

  it('prunes runs older than the retention before the newest, per table written', async () => {
    const conn = await store();
    await ingestFiles(conn, [P5_A, P5_B, PD_A]);
    // The same run a week later (its text with the day changed), with one day of retention.
    const later = readFileSync(P5_A, 'latin1').replace(/2026\/04\/01/g, '2026/04/08');
    const report = await ingestBuffer(conn, 'PUBLIC_P5MIN_202604080405_20260408040045.CSV', Buffer.from(later), {
      forecastDays: 1,
    });
    expect(report.rows.p5min_region).toBe(24);
    expect(await all(conn, 'SELECT DISTINCT run_ts FROM p5min_region')).toEqual([
      { run_ts: nem('2026/04/08 04:05:00') },
    ]);
    expect(await all(conn, 'SELECT count(*)::INTEGER AS n FROM predispatch_price')).toEqual([{ n: 12 }]);
  });

  it('takes the test site’s generated P5MIN and pre-dispatch zips (bench/nemweb/files.ts) as it takes AEMO’s', async () => {
    const conn = await store();
    const run = nem('2026/04/01 13:00:00');
    const p5 = await ingestBuffer(conn, 'p5.zip', p5min(run).bytes);
    const pd = await ingestBuffer(conn, 'pd.zip', predispatch(run, 70, 4).bytes);
    expect(p5.rows).toEqual({ p5min_region: 60 });
    expect(pd.rows).toEqual({ predispatch_price: 20, predispatch_demand: 20 });
    // Its sequence number names the half hour ending 13:00 (trading-day period 18).
    expect(await all(conn, 'SELECT DISTINCT run_ts FROM predispatch_demand')).toEqual([{ run_ts: run }]);
    expect(await all(conn, `SELECT rrp FROM predispatch_price WHERE region = 'SA1' AND ts = ${run + 1800}`)).toEqual([
      { rrp: 74 },
    ]);
  });

  it('refuses a file whose run cannot be read, naming the column', async () => {
    const conn = await store();
    const bad = readFileSync(PD_A, 'latin1').replace(/,2026040101,/g, ',2026040199,');
    await expect(ingestBuffer(conn, 'bad.CSV', Buffer.from(bad))).rejects.toThrow(
      /PREDISPATCHSEQNO: not a pre-dispatch run/,
    );
    const noRun = readFileSync(P5_A, 'latin1').replace('RUN_DATETIME', 'RUN_TIME');
    await expect(ingestBuffer(conn, 'norun.CSV', Buffer.from(noRun))).rejects.toThrow(/no RUN_DATETIME column/);
  });
});
