// The bulk path (DuckDB's CSV reader, bulk-csv.ts) against the row parser: every real fixture and some awkward files
// (intervention rows, blank values, a revised row, a row out of order, keys with spaces) ingested both ways into two
// real stores give the same tables, row for row, and the same reports; a bad file gets the row parser's error (its
// line) and stores nothing. The bulk path is forced with bulkMinBytes 0 (real use: CSVs from 8 MB).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './db.ts';
import { spool } from './bulk-csv.ts';
import { LineGuard } from './ingest-limits.ts';
import { type FileReport, ingestFiles } from './ingest.ts';

const FIXTURE_DIRS = ['aemo', 'aemo-regionsum', 'aemo-depth'].map((d) =>
  join(import.meta.dirname, '../../test/fixtures', d),
);
const tmp = mkdtempSync(join(tmpdir(), 'nem-bulk-'));
const opened: { instance: DuckDBInstance; conn: DuckDBConnection }[] = [];
afterAll(() => {
  for (const s of opened) {
    s.conn.closeSync();
    s.instance.closeSync();
  }
  rmSync(tmp, { recursive: true, force: true });
});

async function store(name: string): Promise<DuckDBConnection> {
  const { instance } = await openStore({ dataDir: join(tmp, name), threads: 2 });
  const conn = await instance.connect();
  opened.push({ instance, conn });
  return conn;
}

const TABLES = ['scada', 'price', 'regionsum', 'interconnector', 'rooftop', 'trading_price', 'unit_dispatch'];
const ROLLUPS = ['gen_5m', 'gen_30m', 'gen_1d', 'unit_1d'];
/** Every row of every table, sorted, so two stores compare row for row. */
async function contents(conn: DuckDBConnection): Promise<Record<string, unknown[][]>> {
  const out: Record<string, unknown[][]> = {};
  for (const t of [...TABLES, ...ROLLUPS])
    out[t] = (await conn.runAndReadAll(`SELECT * FROM ${t} ORDER BY ALL`)).getRowsJS();
  return out;
}

/** A report without its timing and file-specific fields. */
const shape = (r: FileReport) => ({
  rows: r.rows,
  skipped: r.skipped,
  notes: r.notes,
  window: r.window,
  error: r.error,
});

async function both(paths: string[]): Promise<{ row: FileReport[]; bulk: FileReport[] }> {
  const a = await store(`row-${opened.length}`);
  const b = await store(`bulk-${opened.length}`);
  const row = (await ingestFiles(a, paths)).files;
  const bulk = (await ingestFiles(b, paths, undefined, { bulkMinBytes: 0, scratchDir: tmp })).files;
  expect(bulk.map(shape)).toEqual(row.map(shape));
  expect(await contents(b)).toEqual(await contents(a));
  return { row, bulk };
}

const csv = (header: string, rows: string[]) =>
  ['C,NEMP.WORLD,DVD_DISPATCHPRICE,AEMO,PUBLIC,2026/05/08,11:24:36,1,MONTHLY_ARCHIVE,1', header, ...rows].join('\r\n') +
  `\r\nC,"END OF REPORT",${rows.length + 3}\r\n`;
const SUM_I =
  'I,DISPATCH,REGIONSUM,9,SETTLEMENTDATE,RUNNO,REGIONID,DISPATCHINTERVAL,INTERVENTION,TOTALDEMAND,LASTCHANGED';
const sum = (when: string, region: string, iv: string, mw: string, lc = '2026/04/01 00:00:10') =>
  `D,DISPATCH,REGIONSUM,9,"${when}",1,${region},1,${iv},${mw},${lc}`;
function file(name: string, text: string, zip = true): string {
  const path = join(tmp, name);
  writeFileSync(path, zip ? zipSync({ [name.replace(/\.zip$/, '.CSV')]: strToU8(text) }) : text);
  return path;
}

describe('bulk CSV path', () => {
  it('stores what the row parser stores for every real fixture, and reads the plain ones itself', async () => {
    const paths = FIXTURE_DIRS.flatMap((d) =>
      readdirSync(d)
        .filter((f) => /\.(zip|csv)$/i.test(f))
        .map((f) => join(d, f)),
    );
    const { row, bulk } = await both(paths);
    expect(row.every((r) => !r.bulk)).toBe(true);
    // The MMSDM monthly files of one target are the plain case; the multi-table reports (and DISPATCHPRICE, which
    // feeds two targets) go to the row parser.
    const taken = bulk.filter((r) => r.bulk).map((r) => r.file);
    expect(taken).toEqual(expect.arrayContaining([expect.stringContaining('DISPATCH_UNIT_SCADA')]));
    expect(taken).toEqual(expect.arrayContaining([expect.stringContaining('DISPATCHREGIONSUM')]));
    expect(bulk.find((r) => r.file.includes('LEGACY'))?.bulk).toBeUndefined();
  }, 240_000);

  it('drops intervention and blank rows, keeps the latest revision, and takes rows out of order as the row parser', async () => {
    const rows = [
      sum('2026/04/01 00:05:00', 'NSW1', '0', '50'),
      sum('2026/04/01 00:05:00', 'NSW1', '1', '999'), // intervention run
      sum('2026/04/01 00:05:00', 'NSW1', '1e300', '1e300'), // not the market run: its value is never read
      sum('2026/04/01 00:05:00', ' QLD1 ', '0', '40'), // key with spaces
      sum('2026/04/01 00:05:00', 'VIC1', '0', ''), // blank TOTALDEMAND
      sum('2026/04/01 00:10:00', 'NSW1', '0', '55', '2026/04/01 00:06:00'),
      sum('2026/04/01 00:10:00', 'NSW1', '0', '56', '2026/04/01 00:08:00'), // revision: later LASTCHANGED wins
      sum('2026/04/01 00:10:00', 'SA1', '0', '1e2', ''), // no LASTCHANGED
      sum('2026/04/01 00:00:00', 'SA1', '0', '-3.5'), // earlier interval, after later ones
    ];
    const { bulk } = await both([file('PUBLIC_ARCHIVE#DISPATCHREGIONSUM#FILE01#202604010000.zip', csv(SUM_I, rows))]);
    expect(bulk[0].bulk).toBe(1);
    expect(bulk[0].rows).toEqual({ regionsum: 5 });
  });

  it('takes a zip of several CSVs of one table, bulk and not, and keys written two ways, as the row parser', async () => {
    const at = (m: number) => `2026/04/01 00:${String(m).padStart(2, '0')}:00`;
    // Plain: one interval's NSW1 twice, written with and without spaces (the later row wins).
    const first = csv(SUM_I, [
      sum(at(5), 'NSW1', '0', '50'),
      sum(at(5), ' NSW1', '0', '51'),
      sum(at(10), 'QLD1', '0', '7'),
    ]);
    // Plain, after it: revises QLD1 at 00:10 and adds 00:15.
    const second = csv(SUM_I, [sum(at(10), 'QLD1', '0', '8'), sum(at(15), 'QLD1', '0', '9')]);
    // Not plain (a second table): the row parser's rows land beside the bulk ones and revise NSW1 at 00:05 again.
    const mixed =
      csv(SUM_I, [sum(at(5), 'NSW1', '0', '52')]).replace(/C,"END OF REPORT".*\r\n$/, '') +
      `${SUM_I.replace(',9,', ',8,')}\r\n${sum(at(20), 'SA1', '0', '3').replace(',9,', ',8,')}\r\nC,"END OF REPORT",7\r\n`;
    const zip = (name: string, members: Record<string, string>) => {
      const path = join(tmp, name);
      writeFileSync(path, zipSync(Object.fromEntries(Object.entries(members).map(([m, t]) => [m, strToU8(t)]))));
      return path;
    };
    const { bulk } = await both([
      zip('PUBLIC_ARCHIVE#DISPATCHREGIONSUM#FILE01#202604010000.zip', { 'A.CSV': first, 'B.CSV': second }),
      zip('PUBLIC_ARCHIVE#DISPATCHREGIONSUM#FILE02#202604010000.zip', { 'A.CSV': first, 'C.CSV': mixed }),
      zip('PUBLIC_ARCHIVE#DISPATCHREGIONSUM#FILE03#202604010000.zip', { 'C.CSV': mixed, 'B.CSV': second }),
      zip('PUBLIC_ARCHIVE#DISPATCHREGIONSUM#FILE04#202604010000.zip', { 'A.CSV': first }),
    ]);
    expect(bulk.map((r) => r.bulk)).toEqual([2, 1, 1, 1]);
    expect(bulk.map((r) => r.rows)).toEqual([{ regionsum: 3 }, { regionsum: 3 }, { regionsum: 4 }, { regionsum: 2 }]);

    // A bad CSV after a bulk one: the file is refused whole, and the bulk CSV's tables are dropped with it.
    const bad = csv(SUM_I, [sum(at(25), 'NSW1', '0', 'abc')]);
    const refused = await both([
      zip('PUBLIC_ARCHIVE#DISPATCHREGIONSUM#FILE05#202604010000.zip', { 'A.CSV': first, 'D.CSV': bad }),
    ]);
    expect(refused.bulk[0].error).toMatch(/line \d+/);
    const conn = opened[opened.length - 1].conn;
    expect((await conn.runAndReadAll('SELECT count(*)::INT FROM regionsum')).getRowsJS()).toEqual([[0]]);
    expect((await conn.runAndReadAll('SELECT table_name FROM duckdb_tables() WHERE temporary')).getRowsJS()).toEqual(
      [],
    );
  });

  it('gives a bad or cut-off file the row parser’s error, storing nothing', async () => {
    const ok = sum('2026/04/01 00:05:00', 'NSW1', '0', '50');
    const texts = {
      'NOTNUM.CSV': csv(SUM_I, [ok, sum('2026/04/01 00:10:00', 'NSW1', '0', 'abc')]),
      'INF.CSV': csv(SUM_I, [ok, sum('2026/04/01 00:10:00', 'NSW1', '0', 'inf')]),
      // Finite but no AEMO quantity: stored, its fixed-point sums (value × 1e6 as BIGINT) would fail every query.
      'HUGE.CSV': csv(SUM_I, [ok, sum('2026/04/01 00:10:00', 'NSW1', '0', '1e300')]),
      'HUGENEG.CSV': csv(SUM_I, [ok, sum('2026/04/01 00:10:00', 'NSW1', '0', '-2e9')]),
      // DuckDB reads digits grouped by underscores as a number; the row parser does not.
      'GROUPED.CSV': csv(SUM_I, [ok, sum('2026/04/01 00:10:00', 'NSW1', '0', '1_000')]),
      // DuckDB's cast reads these as a run other than 0 (a row to leave out); to the row parser they are no number.
      'IVNAN.CSV': csv(SUM_I, [ok, sum('2026/04/01 00:10:00', 'NSW1', 'NaN', '5')]),
      'IVINF.CSV': csv(SUM_I, [ok, sum('2026/04/01 00:10:00', 'NSW1', '-inf', '5')]),
      'BADTIME.CSV': csv(SUM_I, [ok, sum('2026/13/01 00:10:00', 'NSW1', '0', '5')]),
      'BLANKKEY.CSV': csv(SUM_I, [ok, sum('2026/04/01 00:10:00', '', '0', '5')]),
      'SHORT.CSV': csv(SUM_I, [ok, 'D,DISPATCH,REGIONSUM,9,"2026/04/01 00:10:00",1,NSW1']),
      'OTHER.CSV': csv(SUM_I, [ok, 'D,DISPATCH,OTHER,9,"2026/04/01 00:10:00",1,NSW1,1,0,5,x']),
      'CUT.CSV': csv(SUM_I, [ok, ok]).replace(/C,"END OF REPORT".*\r\n$/, ''),
      // A line of a lone \r after the footer: data after it, to the row parser.
      'AFTERFOOTER.CSV': csv(SUM_I, [ok]) + '\r\r\n',
    };
    const paths = Object.entries(texts).map(([n, t]) => file(n, t, false));
    const { bulk } = await both(paths);
    for (const r of bulk) {
      expect(r.error, r.file).toMatch(/line \d+/);
      expect(r.bulk).toBeUndefined();
    }
    for (const r of bulk.filter((f) => /HUGE/.test(f.file))) expect(r.error).toMatch(/TOTALDEMAND: out of range/);
  });
});

describe('bytes beyond ASCII', () => {
  it('are read as the row parser reads them, and one that is not UTF-8 leaves the store working', async () => {
    // The row parser reads bytes as Latin-1; DuckDB's reader takes UTF-8 and, on a byte that is not, failed internally
    // (a column the query skips), invalidating the whole database: every later query failed.
    const rows = [sum('2026/04/01 00:05:00', 'NSW1', '0', '50'), sum('2026/04/01 00:05:00', 'NSWÉ', '0', '5')];
    const utf8 = join(tmp, 'PUBLIC_ARCHIVE#DISPATCHREGIONSUM#UTF8#202604010000.CSV');
    writeFileSync(utf8, csv(SUM_I, rows));
    const latin1 = join(tmp, 'PUBLIC_ARCHIVE#DISPATCHREGIONSUM#LATIN1#202604010000.CSV');
    writeFileSync(latin1, Buffer.from(csv(SUM_I, rows), 'latin1'));
    const { bulk } = await both([utf8, latin1]);
    expect(bulk.map((r) => r.rows)).toEqual([{ regionsum: 2 }, { regionsum: 2 }]);
    const conn = opened[opened.length - 1].conn;
    expect((await conn.runAndReadAll('SELECT count(*)::INT FROM regionsum')).getRowsJS()).toEqual([[3]]);
  });
});

describe('spool', () => {
  it('finds the first line whose leading fields differ from the first row’s, wherever the chunks split it', async () => {
    const rowA = 'D,DISPATCH,UNIT_SCADA,1,"2026/04/01 00:05:00",A,1\r\n';
    const rowB = 'D,DISPATCH,UNIT_SCADA,1,"2026/04/01 00:05:00",B,2\r\n';
    const other = 'D,DISPATCH,UNIT_SCADX,1,"2026/04/01 00:05:00",C,3\r\n';
    const footer = 'C,"END OF REPORT",6\r\n';
    const spooled = async (rows: string, at: number) => {
      const bytes = Buffer.from(`C,header\nI,x\n${rows}${footer}`);
      const cut = 12 + at;
      const chunks = [bytes.subarray(0, cut), bytes.subarray(cut, cut), bytes.subarray(cut)];
      const s = await spool(chunks, join(tmp, 'spool.csv'), new LineGuard('x', 1 << 20));
      return { odd: s.odd, footerAt: s.footerAt, prefix: s.prefix?.toString() };
    };
    const plain = rowA + rowB + rowA;
    for (let at = 0; at <= plain.length + footer.length; at++)
      expect(await spooled(plain, at), `cut at ${at}`).toEqual({
        odd: plain.length,
        footerAt: plain.length,
        prefix: 'D,DISPATCH,UNIT_SCADA,1,',
      });
    const mixed = rowA + rowB + other + rowA;
    const at = (rowA + rowB).length;
    for (let cut = 0; cut <= mixed.length; cut++) expect((await spooled(mixed, cut)).odd, `cut at ${cut}`).toBe(at);
    // A line too short to hold the leading fields is odd too.
    expect((await spooled(rowA + 'D,\r\n' + rowB, 0)).odd).toBe(rowA.length);
  });

  it('reads a tail of many line breaks in one pass', async () => {
    // A quarter of a million blank lines and then no footer (a hostile upload): looking for the footer behind them
    // backtracked over the breaks from each start (45 s here; hours for a few MB), the event loop held all the while.
    const rows = 'C,header\nI,x\nD,DISPATCH,UNIT_SCADA,1,"2026/04/01 00:05:00",A,1\n';
    const s = await spool(
      [Buffer.from(rows), Buffer.from('\n'.repeat(1 << 18) + 'X')],
      join(tmp, 'spool.csv'),
      new LineGuard('x', 1 << 20),
    );
    expect(s.footerAt).toBe(-1);
  });
});

describe('names with digits and underscores', () => {
  it('reads DUIDs such as WINGF1_1 itself (a grouped number only in a number column sends a file to the row parser)', async () => {
    // AEMO names many units so; a check that looked for digit, `_`, digit anywhere sent every real month of SCADA to
    // the row parser.
    const SCADA_I = 'I,DISPATCH,UNIT_SCADA,1,SETTLEMENTDATE,DUID,SCADAVALUE,LASTCHANGED';
    const unit = (duid: string, mw: string) =>
      `D,DISPATCH,UNIT_SCADA,1,"2026/04/01 00:05:00",${duid},${mw},"2026/04/01 00:00:12"`;
    const named = file(
      'PUBLIC_ARCHIVE#DISPATCH_UNIT_SCADA#FILE01#202604010000.zip',
      csv(SCADA_I, [unit('WINGF1_1', '12.5'), unit('WINGF2_1', '0'), unit('12_3', '4')]),
    );
    const grouped = file(
      'PUBLIC_ARCHIVE#DISPATCH_UNIT_SCADA#FILE02#202604010000.zip',
      csv(SCADA_I, [unit('WINGF1_1', '12.5'), unit('WINGF2_1', '1_0')]),
    );
    // Leading fields written otherwise on one row (spaces the row parser trims): the row parser reads that file.
    const spaced = file(
      'PUBLIC_ARCHIVE#DISPATCH_UNIT_SCADA#FILE03#202604010000.zip',
      csv(SCADA_I, [unit('WINGF1_1', '3'), unit('WINGF2_1', '4').replace('D,DISPATCH,', 'D, DISPATCH ,')]),
    );
    const { bulk } = await both([named, grouped, spaced]);
    expect(bulk[2].bulk).toBeUndefined();
    expect(bulk[2].rows).toEqual({ scada: 2 });
    expect(bulk[0].bulk).toBe(1);
    expect(bulk[0].rows).toEqual({ scada: 3 });
    expect(bulk[1].bulk).toBeUndefined();
    expect(bulk[1].error).toMatch(/line \d+/);
  });
});

describe('rollups of a bulk file', () => {
  it('are computed after its rows commit; a window a crash left pending is rolled up when the store is opened', async () => {
    const scada = join(FIXTURE_DIRS[0], 'PUBLIC_ARCHIVE%23DISPATCH_UNIT_SCADA%23FILE01%23202604010000.zip');
    const registry = join(FIXTURE_DIRS[0], 'NEM-Registration-and-Exemption-List__PU_and_Scheduled_Loads.derived.csv');
    const dataDir = join(tmp, 'pending');
    let { instance } = await openStore({ dataDir, threads: 2 });
    let conn = await instance.connect();
    await ingestFiles(conn, [registry, scada], undefined, { bulkMinBytes: 0, scratchDir: tmp });
    const rolled = await contents(conn);
    expect(rolled.gen_5m.length).toBeGreaterThan(0);
    expect((await conn.runAndReadAll(`SELECT * FROM meta WHERE key = 'rollups_pending'`)).getRows()).toEqual([]);
    // As after a crash between the rows' commit and the rollups': rollups gone, the window noted.
    const [lo, hi] = (await conn.runAndReadAll('SELECT min(ts) - 300, max(ts) FROM scada')).getRowsJS()[0];
    await conn.run(`DELETE FROM gen_5m; DELETE FROM gen_30m; DELETE FROM gen_1d; DELETE FROM unit_1d;
      INSERT INTO meta VALUES ('rollups_pending', '${lo},${hi}')`);
    conn.closeSync();
    instance.closeSync();
    ({ instance } = await openStore({ dataDir, threads: 2 }));
    conn = await instance.connect();
    opened.push({ instance, conn });
    expect(await contents(conn)).toEqual(rolled);
    expect((await conn.runAndReadAll(`SELECT * FROM meta WHERE key = 'rollups_pending'`)).getRows()).toEqual([]);
  }, 120_000);
});
