// Import of the real AEMO fixtures into real DuckDB stores in temp dirs. Expected rows are read from the raw
// files by an independent parser here (fflate's unzipSync + split), not by the code under test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGIONS, ROOFTOP_SUBREGIONS } from '../../shared/nem.ts';
import { openStore } from './db.ts';
import { type FileReport, ingestBuffer, ingestFiles } from './ingest.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/aemo');
const fx = (name: string) => join(FIXTURES, name);
const SCADA = 'PUBLIC_ARCHIVE%23DISPATCH_UNIT_SCADA%23FILE01%23202604010000.zip';
const PRICE = 'PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip';
const TRADING = 'PUBLIC_ARCHIVE%23TRADINGPRICE%23FILE01%23202604010000.zip';
const IC = 'PUBLIC_ARCHIVE%23DISPATCHINTERCONNECTORRES%23FILE01%23202604010000.zip';
const ROOF26 = 'PUBLIC_ARCHIVE%23ROOFTOP_PV_ACTUAL%23FILE01%23202604010000.zip';
const ROOF19 = 'PUBLIC_DVD_ROOFTOP_PV_ACTUAL_201912010000.zip';
const ROOF_LIVE = 'PUBLIC_ROOFTOP_PV_ACTUAL_MEASUREMENT_20240303200000_0000000412707330.csv';
const TRADINGIS = 'PUBLIC_TRADINGIS_202403031335_0000000412683134.CSV';
const LEGACY = 'PUBLIC_DISPATCH_202403151945_20240315194011_LEGACY.zip';
const DUDETAIL = 'PUBLIC_DVD_DUDETAILSUMMARY_202105010000.zip';
const REGISTRY = 'NEM-Registration-and-Exemption-List__PU_and_Scheduled_Loads.derived.csv';

/** Rows per table per fixture; the counts SOURCES.md gives, less intervention and blank-value rows. */
const EXPECTED: Record<string, Record<string, number>> = {
  [SCADA]: { scada: 2880 },
  [PRICE]: { price: 2880, market_status: 2880 },
  [TRADING]: { trading_price: 2880 },
  [IC]: { interconnector: 1440 },
  [ROOF26]: { rooftop: 960 },
  [ROOF19]: { rooftop: 30720 - 16 }, // 16 TAS SATELLITE rows on 2019/12/21 have a blank POWER
  [ROOF_LIVE]: { rooftop: 10 },
  [TRADINGIS]: { trading_price: 5 },
  [LEGACY]: { price: 5, interconnector: 6 },
  [DUDETAIL]: {},
};

// ---- the independent reading of the raw files ----

/** The CSV text(s) of a fixture: zips opened with fflate's unzipSync. */
function csvTexts(name: string): string[] {
  const bytes = readFileSync(fx(name));
  if (!name.endsWith('.zip')) return [bytes.toString('latin1')];
  return Object.values(unzipSync(bytes)).map((b) => Buffer.from(b).toString('latin1'));
}

/** D rows of one table as objects keyed by the I row's column names (quotes stripped). */
function rawRows(name: string, category: string, report: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const text of csvTexts(name)) {
    let cols: string[] | null = null;
    for (const line of text.split(/\r?\n/)) {
      const f = line.split(',').map((v) => v.replace(/^"(.*)"$/, '$1'));
      if (f[0] === 'I') cols = f[1] === category && f[2] === report ? f.slice(4) : null;
      else if (f[0] === 'D' && cols && f[1] === category && f[2] === report) {
        out.push(Object.fromEntries(cols.map((c, i) => [c, f[i + 4]])));
      }
    }
  }
  return out;
}

function nemTime(s: string): number {
  const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(s)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000 - 10 * 3600;
}

/** What each store table should hold after importing every fixture, sorted as `storedRows` sorts. */
function expectedRows(): Record<string, unknown[][]> {
  const sort = (rows: unknown[][]) => rows.sort((a, b) => String(a.slice(0, 3)).localeCompare(String(b.slice(0, 3))));
  const num = (s: string) => (s === '' || s === undefined ? null : Number(s));
  const price = [
    ...rawRows(PRICE, 'DISPATCH', 'PRICE')
      .filter((r) => r.INTERVENTION === '0')
      .map((r) => [nemTime(r.SETTLEMENTDATE), r.REGIONID, +r.RRP, null]),
    ...rawRows(LEGACY, 'DREGION', '')
      .filter((r) => r.INTERVENTION === '0')
      .map((r) => [nemTime(r.SETTLEMENTDATE), r.REGIONID, +r.RRP, +r.TOTALDEMAND]),
  ];
  const ic = (r: Record<string, string>) => [
    nemTime(r.SETTLEMENTDATE),
    r.INTERCONNECTORID,
    +r.METEREDMWFLOW,
    num(r.EXPORTLIMIT),
    num(r.IMPORTLIMIT),
    num(r.MWLOSSES),
  ];
  const roof = (name: string) =>
    rawRows(name, 'ROOFTOP', 'ACTUAL')
      .filter((r) => r.POWER !== '')
      .map((r) => [nemTime(r.INTERVAL_DATETIME), r.REGIONID, r.TYPE, +r.POWER]);
  const trading = (name: string) =>
    rawRows(name, 'TRADING', 'PRICE').map((r) => [nemTime(r.SETTLEMENTDATE), r.REGIONID, +r.RRP]);
  return {
    scada: sort(
      rawRows(SCADA, 'DISPATCH', 'UNIT_SCADA').map((r) => [nemTime(r.SETTLEMENTDATE), r.DUID, +r.SCADAVALUE]),
    ),
    price: sort(price),
    trading_price: sort([...trading(TRADING), ...trading(TRADINGIS)]),
    interconnector: sort([
      ...rawRows(IC, 'DISPATCH', 'INTERCONNECTORRES')
        .filter((r) => r.INTERVENTION === '0')
        .map(ic),
      ...rawRows(LEGACY, 'DINT', '')
        .filter((r) => r.INTERVENTION === '0')
        .map(ic),
    ]),
    rooftop: sort([...roof(ROOF26), ...roof(ROOF19), ...roof(ROOF_LIVE)]),
    // DISPATCH PRICE's market flags; PRICE_STATUS stored as 1 for FIRM, 0 for NOT FIRM.
    market_status: sort(
      rawRows(PRICE, 'DISPATCH', 'PRICE')
        .filter((r) => r.INTERVENTION === '0')
        .map((r) => [
          nemTime(r.SETTLEMENTDATE),
          r.REGIONID,
          +r.APCFLAG,
          num(r.MARKETSUSPENDEDFLAG),
          r.PRICE_STATUS === 'FIRM' ? 1 : r.PRICE_STATUS === 'NOT FIRM' ? 0 : null,
          num(r.CUMUL_PRE_AP_ENERGY_PRICE),
        ]),
    ),
  };
}

// ---- store helpers ----

const dirs: string[] = [];
const instances: DuckDBInstance[] = [];
async function freshStore(): Promise<{ conn: DuckDBConnection; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nem-ingest-'));
  dirs.push(dir);
  const { instance } = await openStore({ dataDir: dir, threads: 2 });
  instances.push(instance);
  return { conn: await instance.connect(), dir };
}
afterAll(() => {
  for (const i of instances) i.closeSync();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const COLUMNS: Record<string, string> = {
  scada: 'ts, duid, mw',
  price: 'ts, region, rrp, demand_mw',
  trading_price: 'ts, region, rrp',
  interconnector: 'ts, id, mw, export_limit, import_limit, losses',
  rooftop: 'ts, region, type, mw',
  market_status: 'ts, region, apc_flag, suspended, price_firm, cumul_price',
};

async function storedRows(conn: DuckDBConnection, table: string): Promise<unknown[][]> {
  const rows = (await conn.runAndReadAll(`SELECT ${COLUMNS[table]} FROM ${table}`)).getRowsJS() as unknown[][];
  return rows.sort((a, b) => String(a.slice(0, 3)).localeCompare(String(b.slice(0, 3))));
}

/** Row count and an order-independent hash of every table, doubles rounded (rollup sums may reorder). */
async function snapshot(conn: DuckDBConnection): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const tables = [
    'scada',
    'price',
    'trading_price',
    'interconnector',
    'rooftop',
    'units',
    'gen_5m',
    'gen_30m',
    'gen_1d',
    'unit_1d',
  ];
  for (const t of tables) {
    const cols = (
      await conn.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${t}' ORDER BY ordinal_position`,
      )
    )
      .getRows()
      .map(([c, type]) => (type === 'DOUBLE' ? `round(${c}, 6)` : String(c)));
    const r = (
      await conn.runAndReadAll(
        `SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(${cols.join(', ')}))::VARCHAR, '') FROM ${t}`,
      )
    ).getRows();
    out[t] = String(r[0][0]);
  }
  return out;
}

const ALL = Object.keys(EXPECTED);

describe('ingest of every AEMO fixture', () => {
  let conn: DuckDBConnection;
  let first: Awaited<ReturnType<typeof ingestFiles>>;
  beforeAll(async () => {
    ({ conn } = await freshStore());
    first = await ingestFiles(conn, [FIXTURES]);
  });

  it('imports every file, with the expected rows per table per file', () => {
    expect(first.rejected).toBe(0);
    const got = Object.fromEntries(
      first.files.filter((f) => !f.file.endsWith(REGISTRY)).map((f) => [f.file.split('/').pop(), f.rows]),
    );
    expect(got).toEqual(EXPECTED);
    const registry = first.files.find((f) => f.file.endsWith(REGISTRY))!;
    expect(registry.error).toBeUndefined();
    expect(registry.rows.units).toBeGreaterThan(500);
  });

  it('stores exactly the rows of the raw files (intervention 0, blank values left out), values unchanged', async () => {
    const want = expectedRows();
    for (const table of Object.keys(COLUMNS)) {
      const got = await storedRows(conn, table);
      expect(got.length, table).toBe(want[table].length);
      expect(got, table).toEqual(want[table]);
    }
  });

  it('spot-checks values against lines of the raw files', async () => {
    const one = async (sql: string) => (await conn.runAndReadAll(sql)).getRowsJS()[0];
    // D,DISPATCH,UNIT_SCADA,1,2026/04/01 00:05:00,HDWF2,74.2,...
    expect(await one(`SELECT mw FROM scada WHERE duid = 'HDWF2' AND ts = ${nemTime('2026/04/01 00:05:00')}`)).toEqual([
      74.2,
    ]);
    // D,DISPATCH,PRICE,5,2026/05/01 00:00:00,1,SA1,20260430240,0,-2.01,...
    expect(await one(`SELECT rrp FROM price WHERE region = 'SA1' AND ts = ${nemTime('2026/05/01 00:00:00')}`)).toEqual([
      -2.01,
    ]);
    // D,DISPATCH,INTERCONNECTORRES,3,2026/04/01 00:05:00,1,VIC1-NSW1,...,0,1071.52734 (METERED),1052.36504
    // (MWFLOW),116.42667,...
    expect(
      await one(
        `SELECT mw, export_limit, import_limit, losses FROM interconnector WHERE id = 'VIC1-NSW1' AND ts = ${nemTime('2026/04/01 00:05:00')}`,
      ),
    ).toEqual([1071.52734, 1052.36504, -84.00126, 116.42667]);
    // TRADINGIS: D,TRADING,PRICE,3,"2024/03/03 13:35:00",1,VIC1,163,-67.1,...
    expect(
      await one(`SELECT rrp FROM trading_price WHERE region = 'VIC1' AND ts = ${nemTime('2024/03/03 13:35:00')}`),
    ).toEqual([-67.1]);
  });

  it('reads legacy DREGION (empty report field) into price with demand, and DINT into interconnector', async () => {
    const ts = nemTime('2024/03/15 19:45:00');
    const rows = (
      await conn.runAndReadAll(`SELECT region, rrp, demand_mw FROM price WHERE ts = ${ts} ORDER BY region`)
    ).getRowsJS();
    expect(rows).toEqual([
      ['NSW1', 88.88002, 8025.43],
      ['QLD1', 95.04872, 7998.56],
      ['SA1', 99.98, 1626.45],
      ['TAS1', 101.1, 1276.51],
      ['VIC1', 88.9334, 5283.06],
    ]);
    // D,DINT,,4,...,VIC1-NSW1,0,-119.18551,-138,-1.35187,0,0,-251.86254 (IMPORTLIMIT),911.38738 (EXPORTLIMIT),...
    expect(
      (
        await conn.runAndReadAll(
          `SELECT mw, export_limit, import_limit, losses FROM interconnector WHERE id = 'VIC1-NSW1' AND ts = ${ts}`,
        )
      ).getRowsJS(),
    ).toEqual([[-119.18551, 911.38738, -251.86254, -1.35187]]);
    const legacy = first.files.find((f) => f.file.endsWith(LEGACY))!;
    expect(legacy.skipped).toEqual({ 'DISPATCH CASESOLUTION': 1, TINT: 6, DCONS: 863 });
  });

  it('finds ROOFTOP columns by name whatever their order (2019 and 2026 layouts)', async () => {
    const q = (ts: string, region: string) =>
      conn
        .runAndReadAll(`SELECT type, mw FROM rooftop WHERE region = '${region}' AND ts = ${nemTime(ts)} ORDER BY type`)
        .then((r) => r.getRowsJS());
    const raw = (name: string, ts: string, region: string) =>
      rawRows(name, 'ROOFTOP', 'ACTUAL')
        .filter((r) => r.INTERVAL_DATETIME === ts && r.REGIONID === region)
        .map((r) => [r.TYPE, +r.POWER])
        .sort();
    for (const [name, ts] of [
      [ROOF19, '2019/12/15 12:30:00'],
      [ROOF26, '2026/04/02 12:30:00'],
    ]) {
      const want = raw(name, ts, 'NSW1');
      expect(want.length).toBe(2);
      expect((want[0][1] as number) > 0).toBe(true);
      expect(await q(ts, 'NSW1')).toEqual(want);
    }
  });

  it('reports skipped tables and why', () => {
    expect(first.files.find((f) => f.file.endsWith(DUDETAIL))!.skipped).toEqual({
      'PARTICIPANT_REGISTRATION DUDETAILSUMMARY': 34,
    });
    const tis = first.files.find((f) => f.file.endsWith(TRADINGIS))!;
    expect(tis.skipped).toEqual({ 'TRADING INTERCONNECTORRES': 6 });
    expect(tis.notes.join()).toMatch(/TRADING INTERCONNECTORRES not imported/);
    expect(first.files.find((f) => f.file.endsWith(ROOF19))!.notes).toContain('16 rows left out: required value blank');
    expect(first.files.find((f) => f.file.endsWith(SCADA))!.notes).toEqual([]); // AGLHAL and HDWF2 are registered
  });

  it('reports the window of intervals each file touched', () => {
    const scada = first.files.find((f) => f.file.endsWith(SCADA))!;
    expect(scada.window).toEqual({ minTs: nemTime('2026/04/01 00:05:00'), maxTs: nemTime('2026/05/01 00:00:00') });
    // the first rooftop half hour ends 00:30 and is about the six intervals ending 00:05 .. 00:30
    expect(first.window).toEqual({ minTs: nemTime('2019/12/01 00:05:00'), maxTs: nemTime('2026/05/01 00:00:00') });
  });

  it('stores rooftop sub-regions but never adds them to their parent region in the rollups', async () => {
    const stored = (await conn.runAndReadAll(`SELECT DISTINCT region FROM rooftop ORDER BY region`)).getRowsJS().flat();
    expect(stored).toEqual(expect.arrayContaining([...ROOFTOP_SUBREGIONS]));
    const rollupRegions = (await conn.runAndReadAll(`SELECT DISTINCT region FROM gen_5m WHERE fuel = 'Rooftop Solar'`))
      .getRowsJS()
      .flat();
    expect(rollupRegions.every((r) => (REGIONS as readonly unknown[]).includes(r))).toBe(true);
    // QLD1 at 2019/12/15 12:30: the rollup carries QLD1's own MEASUREMENT value, not QLD1 + QLDC + QLDN + QLDS.
    const ts = nemTime('2019/12/15 12:30:00');
    const raw = rawRows(ROOF19, 'ROOFTOP', 'ACTUAL').filter(
      (r) => r.INTERVAL_DATETIME === '2019/12/15 12:30:00' && r.TYPE === 'MEASUREMENT',
    );
    const qld1 = +raw.find((r) => r.REGIONID === 'QLD1')!.POWER;
    const subs = raw
      .filter((r) => r.REGIONID.startsWith('QLD') && r.REGIONID !== 'QLD1')
      .reduce((s, r) => s + +r.POWER, 0);
    expect(subs).toBeGreaterThan(0);
    const rolled = (
      await conn.runAndReadAll(
        `SELECT mw FROM gen_5m WHERE fuel = 'Rooftop Solar' AND region = 'QLD1' AND ts IN (${ts}, ${ts - 1500}) ORDER BY ts`,
      )
    ).getRowsJS();
    expect(rolled).toEqual([[qld1], [qld1]]);
  });

  it('is idempotent: importing everything again leaves every table and rollup identical', async () => {
    const before = await snapshot(conn);
    const again = await ingestFiles(conn, ALL.map(fx).concat(fx(REGISTRY)));
    expect(again.rejected).toBe(0);
    expect(again.rows).toEqual(first.rows);
    expect(await snapshot(conn)).toEqual(before);
  });
});

// ---- variants made from the fixtures ----

const scadaCsv = () => csvTexts(SCADA)[0];

describe('ingest of variants', () => {
  it('gives identical rows for CRLF vs LF and quoted vs unquoted dates', async () => {
    const { conn } = await freshStore();
    const lf = scadaCsv();
    expect(lf.includes('\r')).toBe(false);
    expect(lf.includes('"2026/')).toBe(false);
    await ingestBuffer(conn, 'lf.CSV', Buffer.from(lf));
    const base = await snapshot(conn);
    const quoted = lf.replace(/,(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d)/g, ',"$1"');
    expect(quoted).not.toBe(lf);
    for (const text of [lf.replace(/\n/g, '\r\n'), quoted, quoted.replace(/\n/g, '\r\n')]) {
      const r = await ingestBuffer(conn, 'variant.CSV', Buffer.from(text));
      expect(r.rows).toEqual({ scada: 2880 });
      expect(await snapshot(conn)).toEqual(base);
    }
  });

  it('keeps the latest revision: greatest LASTCHANGED within a file, and the later file across files', async () => {
    const { conn } = await freshStore();
    await ingestFiles(conn, [fx(REGISTRY), fx(SCADA), fx(PRICE)]);
    const ts = nemTime('2026/04/01 00:05:00');
    const file = (rows: string[]) =>
      [
        'C,NEMP.WORLD,DISPATCHSCADA,AEMO,PUBLIC',
        'I,DISPATCH,UNIT_SCADA,1,SETTLEMENTDATE,DUID,SCADAVALUE,LASTCHANGED',
        ...rows,
        'C,"END OF REPORT",9',
        '',
      ].join('\n');
    const row = (mw: number, lc: string) => `D,DISPATCH,UNIT_SCADA,1,"2026/04/01 00:05:00",HDWF2,${mw},"${lc}"`;
    const mw = async () =>
      (await conn.runAndReadAll(`SELECT mw FROM scada WHERE duid = 'HDWF2' AND ts = ${ts}`)).getRowsJS();
    const rollup = async () =>
      (
        await conn.runAndReadAll(
          `SELECT g.mw FROM gen_5m g JOIN units u ON u.region = g.region AND u.fuel = g.fuel WHERE u.duid = 'HDWF2' AND g.ts = ${ts}`,
        )
      ).getRowsJS();
    const expectRollup = async () => {
      const sum = (
        await conn.runAndReadAll(
          `SELECT sum(s.mw) FROM scada s JOIN units u USING (duid) JOIN units h ON h.duid = 'HDWF2' AND h.region = u.region AND h.fuel = u.fuel WHERE s.ts = ${ts}`,
        )
      ).getRowsJS();
      expect(await rollup()).toEqual(sum);
    };
    expect(await mw()).toEqual([[74.2]]);

    const r = await ingestBuffer(
      conn,
      'revisions.CSV',
      Buffer.from(file([row(10, '2026/04/01 00:00:30'), row(5, '2026/04/01 00:00:10'), row(7, '2026/04/01 00:00:20')])),
    );
    expect(r.rows).toEqual({ scada: 1 });
    expect(await mw()).toEqual([[10]]);
    await expectRollup();
    await ingestBuffer(
      conn,
      'ties.CSV',
      Buffer.from(file([row(11, '2026/04/01 00:00:30'), row(12, '2026/04/01 00:00:30')])),
    );
    expect(await mw()).toEqual([[12]]);
    await ingestBuffer(conn, 'later.CSV', Buffer.from(file([row(20, '2026/04/01 00:00:01')])));
    expect(await mw()).toEqual([[20]]);
    await expectRollup();
    expect((await conn.runAndReadAll('SELECT count(*)::INT FROM scada')).getRowsJS()).toEqual([[2880]]);
  });

  it('keeps intervention = 0 rows only, for DISPATCH PRICE and INTERCONNECTORRES', async () => {
    const { conn } = await freshStore();
    await ingestFiles(conn, [fx(PRICE), fx(IC)]);
    const base = await snapshot(conn);
    // An intervention run repeats an interval with INTERVENTION = 1 and different numbers: it must not win.
    // Both tables have INTERVENTION at field 8 and the value (RRP, METEREDMWFLOW) at field 9.
    const withIntervention = (name: string) =>
      csvTexts(name)[0]
        .split('\n')
        .flatMap((l) => {
          if (!/^D,DISPATCH,(PRICE|INTERCONNECTORRES),/.test(l)) return [l];
          const f = l.split(',');
          return [l, [...f.slice(0, 8), '1', '-999', ...f.slice(10)].join(',')];
        })
        .join('\n');
    const price = withIntervention(PRICE);
    expect(price.split('\n').filter((l) => /^D,DISPATCH,PRICE,5,[^,]*,[^,]*,[^,]*,[^,]*,1,-999,/.test(l))).toHaveLength(
      2880,
    );
    const r = await ingestBuffer(conn, 'price-intervention.CSV', Buffer.from(price));
    expect(r.rows).toEqual({ price: 2880, market_status: 2880 });
    expect(r.notes).toContain('2880 rows of the intervention pricing run left out (INTERVENTION != 0)');
    const ic = await ingestBuffer(conn, 'ic-intervention.CSV', Buffer.from(withIntervention(IC)));
    expect(ic.rows).toEqual({ interconnector: 1440 });
    expect(await snapshot(conn)).toEqual(base);
  });

  it('fills price.demand_mw from DISPATCH REGIONSUM and keeps it when a later PRICE file has none', async () => {
    const { conn } = await freshStore();
    const ts = nemTime('2024/03/03 13:35:00');
    const dispatchIs = (rrp: number, regionsum: boolean) =>
      [
        'C,NEMP.WORLD,DISPATCHIS,AEMO,PUBLIC',
        'I,DISPATCH,PRICE,5,SETTLEMENTDATE,RUNNO,REGIONID,DISPATCHINTERVAL,INTERVENTION,RRP,LASTCHANGED',
        `D,DISPATCH,PRICE,5,"2024/03/03 13:35:00",1,NSW1,20240303163,0,${rrp},"2024/03/03 13:30:04"`,
        ...(regionsum
          ? [
              'I,DISPATCH,REGIONSUM,8,SETTLEMENTDATE,RUNNO,REGIONID,DISPATCHINTERVAL,INTERVENTION,TOTALDEMAND,LASTCHANGED',
              'D,DISPATCH,REGIONSUM,8,"2024/03/03 13:35:00",1,NSW1,20240303163,0,7012.5,"2024/03/03 13:30:04"',
              'D,DISPATCH,REGIONSUM,8,"2024/03/03 13:35:00",1,NSW1,20240303163,1,1.5,"2024/03/03 13:30:04"',
            ]
          : []),
        'C,"END OF REPORT",9',
        '',
      ].join('\r\n');
    const price = async () =>
      (await conn.runAndReadAll(`SELECT rrp, demand_mw FROM price WHERE ts = ${ts}`)).getRowsJS();
    expect((await ingestBuffer(conn, 'a.CSV', Buffer.from(dispatchIs(50, true)))).rows).toEqual({
      price: 1,
      regionsum: 1,
    });
    expect(await price()).toEqual([[50, 7012.5]]);
    await ingestBuffer(conn, 'b.CSV', Buffer.from(dispatchIs(60, false)));
    expect(await price()).toEqual([[60, 7012.5]]);
  });

  it('uses MWFLOW when a table has no METEREDMWFLOW, and rejects a table missing a required column', async () => {
    const { conn } = await freshStore();
    const text = (cols: string, vals: string) =>
      `C,x\nI,DISPATCH,INTERCONNECTORRES,9,SETTLEMENTDATE,INTERCONNECTORID,INTERVENTION,${cols}\nD,DISPATCH,INTERCONNECTORRES,9,2026/04/01 00:05:00,V-SA,0,${vals}\nC,"END OF REPORT",4\n`;
    await ingestBuffer(conn, 'mwflow.CSV', Buffer.from(text('MWFLOW,MWLOSSES', '123.5,4')));
    expect(
      (await conn.runAndReadAll('SELECT id, mw, export_limit, import_limit, losses FROM interconnector')).getRowsJS(),
    ).toEqual([['V-SA', 123.5, null, null, 4]]);
    await expect(ingestBuffer(conn, 'noflow.CSV', Buffer.from(text('MWLOSSES', '4')))).rejects.toThrow(
      'noflow.CSV: line 2: DISPATCH INTERCONNECTORRES: its I row has no METEREDMWFLOW or MWFLOW column',
    );
  });

  it('refreshes the rollups over every 5-minute interval a half-hour rooftop value covers', async () => {
    const { conn } = await freshStore();
    await ingestFiles(conn, [fx(ROOF19)]);
    const halfHours = rawRows(ROOF19, 'ROOFTOP', 'ACTUAL').filter(
      (r) => r.REGIONID === 'NSW1' && r.TYPE === 'MEASUREMENT',
    ).length;
    const n = (
      await conn.runAndReadAll(
        `SELECT count(*)::INT, min(ts) FROM gen_5m WHERE fuel = 'Rooftop Solar' AND region = 'NSW1'`,
      )
    ).getRowsJS();
    expect(n).toEqual([[halfHours * 6, nemTime('2019/12/01 00:05:00')]]);
  });

  it('reads zips nested in zips (NEMWEB daily archives) and returns the window touched', async () => {
    const { conn } = await freshStore();
    const inner = zipSync({ [TRADINGIS]: new Uint8Array(readFileSync(fx(TRADINGIS))) });
    const outer = zipSync({ 'PUBLIC_TRADINGIS_20240303.zip': inner, 'readme.txt': new TextEncoder().encode('hello') });
    const r = await ingestBuffer(conn, 'PUBLIC_TRADINGIS_DAY.zip', outer);
    expect(r.rows).toEqual({ trading_price: 5 });
    const scada = await ingestBuffer(conn, SCADA, readFileSync(fx(SCADA)));
    expect(scada.notes).toEqual([
      '2 DUIDs not in the registry (AGLHAL, HDWF2): stored, but not in the fuel rollups until the registry lists them',
    ]);
    expect(r.window).toEqual({ minTs: nemTime('2024/03/03 13:35:00'), maxTs: nemTime('2024/03/03 13:35:00') });
    expect(r.notes).toContain('PUBLIC_TRADINGIS_DAY.zip (readme.txt): not a CSV, ignored');
  });
});

describe('bad files', () => {
  let conn: DuckDBConnection;
  let dir: string;
  let before: Record<string, string>;
  let report: Awaited<ReturnType<typeof ingestFiles>>;
  const bad: Record<string, { bytes: Uint8Array; error: RegExp }> = {};

  beforeAll(async () => {
    ({ conn, dir } = await freshStore());
    const good = ALL.filter((f) => f !== TRADINGIS).map(fx);
    expect((await ingestFiles(conn, [fx(REGISTRY), ...good])).rejected).toBe(0);
    before = await snapshot(conn);

    // Every bad file first changes the values of rows already stored, so a partial import would show.
    const lines = scadaCsv().split('\n');
    const changed = lines.map((l, i) =>
      i >= 2 && l.startsWith('D,') ? l.replace(/,([^,]*),([^,]*)$/, ',999999,$2') : l,
    );
    const text = (ls: string[]) => Buffer.from(ls.join('\n'));
    const at = (lineNo: number, edit: (l: string) => string) => changed.map((l, i) => (i === lineNo - 1 ? edit(l) : l));
    bad['width.CSV'] = {
      bytes: text(at(10, (l) => `${l},extra`)),
      error: /width\.CSV: line 10: expected 8 fields as in the I row at line 2, got 9/,
    };
    bad['d-before-i.CSV'] = {
      bytes: text([changed[0], changed[2], changed[1], ...changed.slice(3)]),
      error: /d-before-i\.CSV: line 2: D row for DISPATCH UNIT_SCADA 1 before its I row/,
    };
    bad['number.CSV'] = {
      bytes: text(at(50, (l) => l.replace(',999999,', ',12.3x,'))),
      error: /number\.CSV: line 50: SCADAVALUE: not a number: "12\.3x"/,
    };
    bad['date.CSV'] = {
      bytes: text(at(60, (l) => l.replace(/,2026\/04\/(\d\d)/, ',2026/13/$1'))),
      error: /date\.CSV: line 60: SETTLEMENTDATE: not a date/,
    };
    const whole = changed.join('\n');
    const footerAt = whole.lastIndexOf('C,"END');
    bad['cut-mid-row.CSV'] = {
      bytes: Buffer.from(whole.slice(0, footerAt - 20)),
      error: /cut-mid-row\.CSV: line 2882: truncated: its last line is cut off mid-row/,
    };
    bad['no-footer.CSV'] = {
      bytes: Buffer.from(whole.slice(0, footerAt)),
      error: /no-footer\.CSV: line 2882: truncated: it ends without its C,"END OF REPORT" footer/,
    };
    // Stored (not deflated) so the flipped byte reaches the CRC check rather than the inflater.
    const stored = zipSync({ 'x.CSV': Buffer.from(whole) }, { level: 0 });
    const crc = Uint8Array.from(stored);
    const p = Buffer.from(crc).indexOf('999999', 0, 'latin1');
    crc[p] = '8'.charCodeAt(0);
    bad['crc.zip'] = { bytes: crc, error: /crc\.zip: x\.CSV: zip CRC mismatch/ };
    const zipped = zipSync({ 'x.CSV': Buffer.from(whole) });
    bad['cut.zip'] = { bytes: zipped.subarray(0, zipped.length >> 1), error: /cut\.zip: not a complete zip/ };
    for (const [name, { bytes }] of Object.entries(bad)) writeFileSync(join(dir, name), bytes);
    report = await ingestFiles(conn, [...Object.keys(bad).map((n) => join(dir, n)), fx(TRADINGIS)]);
  });

  it('rejects each with a message naming the file and line', () => {
    expect(report.rejected).toBe(Object.keys(bad).length);
    for (const [name, { error }] of Object.entries(bad)) {
      const f = report.files.find((r: FileReport) => r.file === join(dir, name))!;
      expect(f.error, name).toMatch(error);
      expect(f.rows, name).toEqual({});
    }
  });

  it('loses nothing already stored, and still imports the good file in the same run', async () => {
    expect(report.files.find((f) => f.file.endsWith(TRADINGIS))).toMatchObject({ rows: { trading_price: 5 } });
    const after = await snapshot(conn);
    expect(after.trading_price).not.toBe(before.trading_price);
    expect({ ...after, trading_price: '' }).toEqual({ ...before, trading_price: '' });
    expect((await conn.runAndReadAll(`SELECT count(*)::INT FROM scada WHERE mw = 999999`)).getRowsJS()).toEqual([[0]]);
  });

  it('leaves no staging tables behind, and the connection imports normally afterwards', async () => {
    const temps = (await conn.runAndReadAll(`SELECT count(*)::INT FROM duckdb_tables() WHERE temporary`)).getRowsJS();
    expect(temps).toEqual([[0]]);
    await expect(ingestBuffer(conn, 'number.CSV', bad['number.CSV'].bytes)).rejects.toThrow(bad['number.CSV'].error);
    expect((await ingestBuffer(conn, 'ok.CSV', Buffer.from(scadaCsv()))).rows).toEqual({ scada: 2880 });
  });
});

describe('npm run ingest (the CLI as a child process)', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(
      join(import.meta.dirname, '../../node_modules/.bin/tsx'),
      [join(import.meta.dirname, 'ingest-cli.ts'), ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 120_000,
      },
    );

  it('prints rows per table per file and a total; exits 1 when a file was rejected, after importing the rest', async () => {
    const { dir } = await freshStore();
    const dataDir = join(dir, 'cli');
    const badFile = join(dir, 'bad.CSV');
    writeFileSync(badFile, 'C,x\nD,DISPATCH,UNIT_SCADA,1,"2026/04/01 00:05:00",X,1,"2026/04/01 00:05:00"\n');
    const ok = cli(['--data-dir', dataDir, fx(LEGACY), fx(SCADA)]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${fx(LEGACY)}  (`);
    expect(ok.stdout).toMatch(/\n {2}price +5 rows\n {2}interconnector +6 rows\n/);
    expect(ok.stdout).toMatch(/skipped tables: DISPATCH CASESOLUTION \(1 row\), TINT \(6 rows\), DCONS \(863 rows\)/);
    expect(ok.stdout).toMatch(/\n {2}scada +2,880 rows\n/);
    expect(ok.stdout).toMatch(
      /total: 2 files, 0 rejected, .*\n {2}price +5 rows\n {2}interconnector +6 rows\n {2}scada +2,880 rows\n/,
    );

    const mixed = cli([badFile, fx(TRADINGIS)], { DATA_DIR: dataDir });
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toContain(`REJECTED ${badFile}: line 2: D row for DISPATCH UNIT_SCADA 1 before its I row`);
    expect(mixed.stdout).toMatch(/total: 2 files, 1 rejected.*\n {2}trading_price +5 rows\n/);
  });

  it('says in one line that the store is busy and exits 1 when another process holds it', async () => {
    const { dir } = await freshStore(); // this process now holds dir/nem.duckdb
    const r = cli([fx(SCADA)], { DATA_DIR: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^the store .*nem\.duckdb is in use by another process/),
    ]);
  });

  it('exits 2 with usage when given no paths', () => {
    const r = cli([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: npm run ingest -- /);
  });
});

it('fixtures: every AEMO sample (except the xlsx) is shipped, and credited', () => {
  const shipped = readdirSync(FIXTURES)
    .filter((n) => !n.startsWith('.'))
    .sort();
  expect(shipped).toEqual([...ALL, REGISTRY, 'SOURCES.md'].sort());
  expect(readFileSync(fx('SOURCES.md'), 'utf8')).toContain('Source: AEMO');
});
