// Decompression bombs, over-long lines, empty zips and large valid files, through the real ingest into real DuckDB
// stores: bad files are rejected with a clear message and store nothing, and memory does not grow with what a file
// inflates to. Bombs are built here by deflating a stream (test/util/zip-stream.ts), never held inflated.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { aemoTime } from '../../bench/nemweb/files.ts';
import { streamZip, zeros } from '../../test/util/zip-stream.ts';
import { openStore } from './db.ts';
import { ingestBuffer, ingestFiles } from './ingest.ts';

const MB = 2 ** 20;
const dirs: string[] = [];
const instances: DuckDBInstance[] = [];
async function freshStore(): Promise<{ conn: DuckDBConnection; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nem-limits-'));
  dirs.push(dir);
  const { instance } = await openStore({ dataDir: join(dir, 'data'), threads: 2 });
  instances.push(instance);
  return { conn: await instance.connect(), dir };
}
afterAll(() => {
  for (const i of instances) i.closeSync();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = 1775000100; // 2026-04-01 09:35 NEM time
const HEAD =
  'C,NEMP.WORLD,DISPATCHSCADA,AEMO,PUBLIC,2026/04/01,00:00:00,1,DISPATCHSCADA,1\r\n' +
  'I,DISPATCH,UNIT_SCADA,1,SETTLEMENTDATE,DUID,SCADAVALUE,LASTCHANGED\r\n';

/** One interval of DISPATCH_UNIT_SCADA D rows for `duids` units. */
function scadaRows(i: number, duids: number): string {
  const t = aemoTime(T0 + i * 300);
  let s = '';
  for (let d = 0; d < duids; d++) s += `D,DISPATCH,UNIT_SCADA,1,"${t}",UNIT${d},${(d * 7 + i) % 500}.25,"${t}"\r\n`;
  return s;
}

/** A valid SCADA CSV of `intervals` × `duids` rows, as chunks (one per interval), with its footer. */
function* scadaCsv(intervals: number, duids: number): Generator<Uint8Array> {
  yield Buffer.from(HEAD);
  for (let i = 0; i < intervals; i++) yield Buffer.from(scadaRows(i, duids));
  yield Buffer.from(`C,"END OF REPORT",${intervals * duids + 3}\r\n`);
}

const scadaCount = async (conn: DuckDBConnection) =>
  Number((await conn.runAndReadAll('SELECT count(*)::INTEGER AS n FROM scada')).getRowObjectsJS()[0].n);
/** Peak resident memory of this test process so far (forks pool: one process per test file), bytes. */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

describe('a decompression bomb', () => {
  // First in the file, so the process's peak RSS is still near its baseline when the bomb is read.
  it('of zeros (256 MB in a ~256 KB zip) is rejected at its first over-long line, storing nothing, memory flat', async () => {
    const { conn, dir } = await freshStore();
    const bomb = await streamZip('PUBLIC_DISPATCHSCADA_BOMB.CSV', zeros(256 * MB));
    expect(bomb.length).toBeLessThan(MB);
    const path = join(dir, 'PUBLIC_DISPATCHSCADA_BOMB.zip');
    writeFileSync(path, bomb);
    // Warm up (DuckDB's buffers, the staging path) with a real file, so what is measured next is the bomb alone.
    await ingestBuffer(conn, 'warm.CSV', Buffer.concat([...scadaCsv(12, 50)]));
    const before = peakRss();

    const report = await ingestFiles(conn, [path]);
    await expect(ingestBuffer(conn, 'PUBLIC_DISPATCHSCADA_BOMB.zip', bomb)).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(
        /PUBLIC_DISPATCHSCADA_BOMB\.zip \(PUBLIC_DISPATCHSCADA_BOMB\.CSV\): a line longer than 1 MB/,
      ),
    });
    const grew = peakRss() - before;

    expect(report.rejected).toBe(1);
    expect(report.files[0].error).toMatch(
      /BOMB\.CSV\): a line longer than 1 MB \(not an AEMO CSV, or a zip bomb\); rejected/,
    );
    expect(await scadaCount(conn)).toBe(12 * 50);
    // Reading it whole (as the old parser buffered the unbroken line) costs at least the 256 MB it inflates to.
    expect(grew).toBeLessThan(64 * MB);
  });

  it('of valid rows past maxInflatedBytes is rejected whole (nothing stored), by path and from memory', async () => {
    const { conn, dir } = await freshStore();
    // 40 MB of SCADA rows, all valid: only the cap tells it from a big file. Repeated intervals are cheap to build.
    const block = Buffer.from(scadaRows(0, 500));
    const bomb = await streamZip(
      'BIG.CSV',
      (function* () {
        yield Buffer.from(HEAD);
        for (let n = 0; n < (40 * MB) / block.length; n++) yield block;
        yield Buffer.from('C,"END OF REPORT",1\r\n');
      })(),
    );
    const limits = { maxInflatedBytes: 8 * MB };
    const path = join(dir, 'BIG.zip');
    writeFileSync(path, bomb);
    const report = await ingestFiles(conn, [path], undefined, { limits });
    expect(report.files[0].error).toMatch(/BIG\.zip: inflates to more than 8 MB \(a zip bomb\?\); rejected/);
    await expect(ingestBuffer(conn, 'BIG.zip', bomb, { limits })).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/more than 8 MB/),
    });
    expect(await scadaCount(conn)).toBe(0);
    // Under a cap it fits, the same file is good.
    expect((await ingestBuffer(conn, 'BIG.zip', bomb, { limits: { maxInflatedBytes: 64 * MB } })).rows).toEqual({
      scada: 500,
    });
  });

  it('whose header understates its size is refused as soon as it inflates past it', async () => {
    const { conn } = await freshStore();
    const liar = await streamZip('LIAR.CSV', scadaCsv(50, 100), { declaredSize: 1000 });
    await expect(ingestBuffer(conn, 'LIAR.zip', liar)).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(
        /LIAR\.zip: LIAR\.CSV: zip member inflates past the 1000 bytes its header says \(corrupt\)/,
      ),
    });
  });

  it('nested in zips is refused the same way, and zips nested more than two deep are refused', async () => {
    const { conn } = await freshStore();
    const inner = await streamZip('BOMB.CSV', zeros(16 * MB));
    await expect(ingestBuffer(conn, 'DAY.zip', zipSync({ 'A.zip': inner }))).rejects.toThrow(
      /DAY\.zip \(A\.zip\) \(BOMB\.CSV\): a line longer than 1 MB/,
    );
    const csv = Buffer.concat([...scadaCsv(1, 3)]);
    const deep = zipSync({ 'a.zip': zipSync({ 'b.zip': zipSync({ 'c.zip': zipSync({ 'x.CSV': csv }) }) }) });
    await expect(ingestBuffer(conn, 'DEEP.zip', deep)).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/zips nested more than 2 deep/),
    });
    const two = zipSync({ 'a.zip': zipSync({ 'b.zip': zipSync({ 'x.CSV': csv }) }) });
    expect((await ingestBuffer(conn, 'TWO.zip', two)).rows).toEqual({ scada: 3 });
  });
});

describe('a zip without a CSV', () => {
  it('empty, or holding only other files, is rejected as "zip holds no CSV file", by path and from memory', async () => {
    const { conn, dir } = await freshStore();
    const empty = zipSync({});
    const readme = zipSync({ 'readme.txt': Buffer.from('hello') });
    writeFileSync(join(dir, 'EMPTY.zip'), empty);
    writeFileSync(join(dir, 'README.zip'), readme);
    const report = await ingestFiles(conn, [join(dir, 'EMPTY.zip'), join(dir, 'README.zip')]);
    expect(report.files.map((f) => f.error)).toEqual(
      ['EMPTY.zip', 'README.zip'].map((n) => `${join(dir, n)}: zip holds no CSV file`),
    );
    for (const [name, bytes] of [
      ['EMPTY.zip', empty],
      ['README.zip', readme],
    ] as const) {
      await expect(ingestBuffer(conn, name, bytes)).rejects.toMatchObject({
        code: 'bad_file',
        message: `${name}: zip holds no CSV file`,
      });
    }
  });
});

describe('a large valid file', () => {
  it('streams: ~45 MB of SCADA (zipped and plain) imports with every row', async () => {
    const { conn, dir } = await freshStore();
    const intervals = 1100;
    const duids = 463;
    const zipped = await streamZip('PUBLIC_DISPATCHSCADA_LARGE.CSV', scadaCsv(intervals, duids));
    writeFileSync(join(dir, 'PUBLIC_DISPATCHSCADA_LARGE.zip'), zipped);
    const report = await ingestFiles(conn, [join(dir, 'PUBLIC_DISPATCHSCADA_LARGE.zip')]);
    expect(report.files[0].error).toBeUndefined();
    expect(report.rows).toEqual({ scada: intervals * duids });
    expect(await scadaCount(conn)).toBe(intervals * duids);
    const span = (
      await conn.runAndReadAll('SELECT min(ts) AS lo, max(ts) AS hi, count(DISTINCT duid)::INTEGER AS n FROM scada')
    ).getRowObjectsJS()[0];
    expect([Number(span.lo), Number(span.hi), span.n]).toEqual([T0, T0 + (intervals - 1) * 300, duids]);

    // The same rows as a plain CSV replace what is stored (latest file wins) without adding any.
    writeFileSync(join(dir, 'PUBLIC_DISPATCHSCADA_LARGE.CSV'), Buffer.concat([...scadaCsv(intervals, duids)]));
    expect((await ingestFiles(conn, [join(dir, 'PUBLIC_DISPATCHSCADA_LARGE.CSV')])).rows).toEqual({
      scada: intervals * duids,
    });
    expect(await scadaCount(conn)).toBe(intervals * duids);
  });
});

describe('npm run ingest on a bomb', () => {
  it('prints REJECTED with the reason, imports the other files, and exits 1', async () => {
    const { dir } = await freshStore();
    const bomb = join(dir, 'PUBLIC_DISPATCHSCADA_BOMB.zip');
    writeFileSync(bomb, await streamZip('BOMB.CSV', zeros(32 * MB)));
    const good = join(dir, 'PUBLIC_DISPATCHSCADA_GOOD.CSV');
    writeFileSync(good, Buffer.concat([...scadaCsv(2, 5)]));
    const tsx = join(import.meta.dirname, '../../node_modules/.bin/tsx');
    const r = spawnSync(tsx, [join(import.meta.dirname, 'ingest-cli.ts'), bomb, good], {
      encoding: 'utf8',
      env: { ...process.env, DATA_DIR: join(dir, 'cli') },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `REJECTED ${bomb} (BOMB.CSV): a line longer than 1 MB (not an AEMO CSV, or a zip bomb); rejected`,
    );
    expect(r.stdout).toMatch(/total: 2 files, 1 rejected.*\n {2}scada +10 rows\n/);
  });
});
