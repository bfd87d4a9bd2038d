// The backfill against a NEMWEB-like site on loopback laid out as AEMO's archives: a month from MMSDM (the real April
// 2026 samples under their MMSDM names), a month MMSDM lacks from the daily archive (a zip of interval zips), into a
// real store; what it stores equals a direct ingest of the same files; a re-run fetches nothing, and after a failed
// download only that file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/db.ts';
import { ingestFiles } from '../store/ingest.ts';
import { ensureRegistry } from '../store/registry.ts';
import { dispatchIs } from '../../bench/nemweb/files.ts';
import { nemwebSite, type NemwebSite } from '../../bench/nemweb/site.ts';
import { intoStore } from './into.ts';
import { backfill, type BackfillOptions } from './run.ts';
import { monthlyFolder } from './plan.ts';

const FIXTURES = [
  join(import.meta.dirname, '../../test/fixtures/aemo'),
  join(import.meta.dirname, '../../test/fixtures/aemo-regionsum'),
];
const APRIL = { year: 2026, month: 4 };
const MAY = { year: 2026, month: 5 };
const MAY_1 = Date.UTC(2026, 4, 1, 0, 5) / 1000 - 36000; // the interval ending 2026-05-01 00:05 NEM
const NOW = Date.UTC(2026, 4, 3, 3); // 3 May 2026, 13:00 NEM: 1 and 2 May are whole days

const tmp = mkdtempSync(join(tmpdir(), 'nem-backfill-'));
let site: NemwebSite;
const stores: { instance: DuckDBInstance; conn: DuckDBConnection }[] = [];

async function store(name: string): Promise<DuckDBConnection> {
  const { instance } = await openStore({ dataDir: join(tmp, name), threads: 2 });
  const conn = await instance.connect();
  await ensureRegistry(conn);
  stores.push({ instance, conn });
  return conn;
}

const mmsdmFiles = () =>
  FIXTURES.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.startsWith('PUBLIC_ARCHIVE%23'))
      .map((f) => ({ name: decodeURIComponent(f), path: join(dir, f) })),
  );

beforeAll(async () => {
  site = await nemwebSite();
  const folder = monthlyFolder('', APRIL).slice(1, -1);
  site.feeds.set(
    folder,
    mmsdmFiles().map((f) => ({ name: f.name, bytes: readFileSync(f.path) })),
  );
  // May is not in MMSDM yet: its days come from the daily archive, a zip of the day's interval zips.
  const day = (ts: number) =>
    Object.fromEntries([0, 1].map((i) => dispatchIs(ts + i * 300)).map((f) => [f.name, f.bytes]));
  site.feeds.set('Reports/Archive/DispatchIS_Reports', [
    { name: 'PUBLIC_DISPATCHIS_20260501.zip', bytes: zipSync(day(MAY_1)) },
    { name: 'PUBLIC_DISPATCHIS_20260502.zip', bytes: zipSync(day(MAY_1 + 86400)) },
    { name: 'PUBLIC_DISPATCHIS_20260503.zip', bytes: zipSync(day(MAY_1 + 2 * 86400)) }, // today: not whole yet
  ]);
  site.feeds.set('Reports/Archive/Dispatch_SCADA', []);
  site.feeds.set('Reports/Archive/ROOFTOP_PV/ACTUAL', []);
});
afterAll(async () => {
  for (const s of stores) {
    s.conn.closeSync();
    s.instance.closeSync();
  }
  await site?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const opts = (conn: DuckDBConnection, dir: string): BackfillOptions => ({
  base: site.base,
  months: [APRIL, MAY],
  dir: join(tmp, dir),
  ingest: intoStore(conn, tmp),
  now: () => NOW,
  http: { retryBaseMs: 5, retries: 1 },
});
/** Every row of every table the ingest writes, rollups included, sorted: two stores compare row for row. */
async function contents(conn: DuckDBConnection): Promise<Record<string, unknown[][]>> {
  const tables = (
    await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND table_name <> 'meta'")
  ).getRowsJS();
  const out: Record<string, unknown[][]> = {};
  for (const [t] of tables) out[String(t)] = (await conn.runAndReadAll(`SELECT * FROM ${t} ORDER BY ALL`)).getRowsJS();
  return out;
}
const one = async (conn: DuckDBConnection, sql: string) => (await conn.runAndReadAll(sql)).getRowsJS()[0];
const snapshot = (conn: DuckDBConnection, where = 'TRUE') =>
  Promise.all(
    ['price', 'scada', 'regionsum', 'interconnector', 'rooftop'].map((t) =>
      one(conn, `SELECT '${t}', count(*)::INT, (sum(hash(x)) % 1000003)::INT FROM ${t} x WHERE ${where}`),
    ),
  );

describe('backfill', () => {
  it('takes a month from MMSDM and one it lacks from the daily archive, storing what a direct ingest stores', async () => {
    const conn = await store('a');
    const lines: string[] = [];
    const s = await backfill({ ...opts(conn, 'dl-a'), log: (l) => lines.push(l) });
    const wanted = mmsdmFiles().filter((f) => !f.name.includes('TRADINGPRICE'));
    expect(s).toMatchObject({ planned: wanted.length + 2, skipped: 0, ingested: wanted.length + 2, failed: [] });
    expect(lines).toContain('2026-05: not in MMSDM yet; from the daily archive instead');
    // Not TRADINGPRICE (the store reads dispatch prices), not today's unfinished day.
    expect(site.requests.filter((r) => /TRADINGPRICE|20260503/.test(r))).toEqual([]);

    const ref = await store('ref');
    const direct = await ingestFiles(
      ref,
      wanted.map((f) => f.path),
    );
    expect(direct.rejected).toBe(0);
    const april = `ts <= ${MAY_1 - 300}`;
    expect(await snapshot(conn, april)).toEqual(await snapshot(ref, april));
    expect((await snapshot(conn, april))[0][1]).toBeGreaterThan(0);
    // May's four intervals from the daily zips: five regions each.
    expect(await one(conn, `SELECT count(*)::INT FROM price WHERE ts >= ${MAY_1}`)).toEqual([20]);
  });

  it('is resumable: a re-run fetches nothing; after a failed download only that file is fetched again', async () => {
    const conn = await store('b');
    site.fail(/DISPATCH_UNIT_SCADA/, 2); // both tries of the SCADA file fail
    const first = await backfill(opts(conn, 'dl-b'));
    expect(first.failed.map((f) => f.file)).toEqual([expect.stringContaining('DISPATCH_UNIT_SCADA')]);
    expect(await one(conn, 'SELECT count(*)::INT FROM scada')).toEqual([0]);

    const before = site.requests.length;
    const second = await backfill(opts(conn, 'dl-b'));
    expect(second).toMatchObject({ ingested: 1, failed: [], skipped: first.ingested });
    const fetched = site.requests.slice(before).filter((r) => /\.zip$/.test(r));
    expect(fetched).toEqual([expect.stringContaining('DISPATCH_UNIT_SCADA')]);
    expect((await one(conn, 'SELECT count(*)::INT FROM scada'))[0]).toBeGreaterThan(0);

    const third = await backfill(opts(conn, 'dl-b'));
    expect(third).toMatchObject({ ingested: 0, skipped: third.planned, failed: [] });
  });

  it('fetches again on a re-run a file that came as a 200 with something else than a zip (an HTML error page)', async () => {
    const conn = await store('c');
    const folder = monthlyFolder('', APRIL).slice(1, -1);
    const real = site.feeds.get(folder)!;
    const html = new TextEncoder().encode('<html><body>Service temporarily unavailable</body></html>');
    site.feeds.set(
      folder,
      real.map((f) => (/DISPATCHPRICE/.test(f.name) ? { ...f, bytes: html } : f)),
    );
    try {
      const first = await backfill(opts(conn, 'dl-c'));
      expect(first.failed.map((f) => f.file)).toEqual([expect.stringContaining('DISPATCHPRICE')]);
    } finally {
      site.feeds.set(folder, real);
    }
    const before = site.requests.length;
    const second = await backfill(opts(conn, 'dl-c'));
    expect(second).toMatchObject({ ingested: 1, failed: [] });
    const fetched = site.requests.slice(before).filter((r) => /\.zip$/.test(r));
    expect(fetched).toEqual([expect.stringContaining('DISPATCHPRICE')]);
    expect((await one(conn, 'SELECT count(*)::INT FROM price'))[0]).toBeGreaterThan(0);
  });

  it('rolls up once at its end what file-by-file ingest rolls up after each file, in any order, run twice or stopped', async () => {
    const files = mmsdmFiles().filter((f) => !f.name.includes('TRADINGPRICE'));
    const ref = await store('rollups-ref');
    expect(
      (
        await ingestFiles(
          ref,
          files.map((f) => f.path),
        )
      ).rejected,
    ).toBe(0);
    const expected = await contents(ref);
    expect(expected.gen_5m.length).toBeGreaterThan(0);
    expect(expected.unit_1d.length).toBeGreaterThan(0);

    const backfilled = await store('rollups-backfill');
    const s = await backfill({ ...opts(backfilled, 'dl-rollups'), months: [APRIL] });
    expect(s).toMatchObject({ ingested: files.length, failed: [] });
    expect(await contents(backfilled)).toEqual(expected);

    // The files the other way round, twice over: the same store.
    const twice = await store('rollups-twice');
    const into = intoStore(twice, tmp);
    for (const f of [...files].reverse().concat(files)) await into(f.path, f.name);
    await into.finish!();
    expect(await contents(twice)).toEqual(expected);

    // Stopped before its end: the rollups are noted pending, and the next openStore computes them.
    const stopped = await store('rollups-stopped');
    const cut = intoStore(stopped, tmp);
    for (const f of files) await cut(f.path, f.name);
    expect(await one(stopped, "SELECT count(*)::INT FROM meta WHERE key = 'rollups_pending'")).toEqual([1]);
    const s0 = stores.pop()!;
    s0.conn.closeSync();
    s0.instance.closeSync();
    const { instance } = await openStore({ dataDir: join(tmp, 'rollups-stopped'), threads: 2 });
    const reopened = await instance.connect();
    stores.push({ instance, conn: reopened });
    expect(await contents(reopened)).toEqual(expected);
  });

  it('says what is wrong with a damaged done.json and starts over instead of stopping', async () => {
    const conn = await store('d');
    const dir = join(tmp, 'dl-d');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'done.json'), '["PUBLIC_ARCHIVE#DISPATCHPRICE#FILE01#2026040'); // cut off mid-write
    const lines: string[] = [];
    const s = await backfill({ ...opts(conn, 'dl-d'), log: (l) => lines.push(l) });
    expect(s.failed).toEqual([]);
    expect(s.skipped).toBe(0);
    expect(lines.some((l) => l.includes('done.json'))).toBe(true);
    expect(Array.isArray(JSON.parse(readFileSync(join(dir, 'done.json'), 'utf8')))).toBe(true);
  });
});
