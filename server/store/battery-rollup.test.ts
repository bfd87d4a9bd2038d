// battery_1d (schema version 4): a store made before it gets it filled from its stored SCADA when next opened for
// writing, the same rows a fresh build holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, readWatermark } from './db.ts';
import { buildDemo } from './demo.ts';
import { ingestBuffer } from './ingest.ts';
import { refreshRollups } from './rollups.ts';
import { loadRegistry, SEED_REGISTRY } from './registry.ts';

const root = mkdtempSync(join(tmpdir(), 'nem-battery-rollup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const all = async (conn: DuckDBConnection, sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();
const ROWS = 'SELECT * FROM battery_1d ORDER BY ts, duid';

describe('battery_1d', () => {
  it('is filled from the stored SCADA when a version-3 store is opened', async () => {
    const dataDir = join(root, 'a');
    const first = await openStore({ dataDir, threads: 2 });
    let conn = await first.instance.connect();
    await loadRegistry(conn, SEED_REGISTRY);
    await buildDemo(conn, { days: 2 });
    const built = await all(conn, ROWS);
    expect(built.length).toBeGreaterThan(2 * 50);
    // As a version-3 store would be: no battery rollup yet.
    await conn.run(`DELETE FROM battery_1d; UPDATE meta SET value = '3' WHERE key = 'schema_version'`);
    conn.closeSync();
    first.instance.closeSync();

    const second = await openStore({ dataDir, threads: 2 });
    conn = await second.instance.connect();
    expect(await all(conn, ROWS)).toEqual(built);
    expect(await all(conn, `SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual([{ value: '5' }]);
    conn.closeSync();
    second.instance.closeSync();
  });

  it("takes a NEXT_DAY_DISPATCH file's ENERGY_STORAGE, arriving after the day's SCADA, into the day's mean", async () => {
    const { instance } = await openStore({ dataDir: join(root, 'b'), threads: 2 });
    const conn = await instance.connect();
    await loadRegistry(conn, SEED_REGISTRY);
    await buildDemo(conn, { days: 2 });
    const wm = (await readWatermark(conn))!.watermark;
    await conn.run(`DELETE FROM unit_dispatch WHERE duid = 'ERB01'`);
    await refreshRollups(conn, wm - 2 * 86400, wm);
    const soc = `SELECT soc_mwh, soc_n FROM battery_1d WHERE duid = 'ERB01' AND ts = ${wm - 86400}`;
    expect(await all(conn, soc)).toEqual([{ soc_mwh: null, soc_n: null }]);

    // The day's file in AEMO's format (UNIT_SOLUTION, the columns the store reads), ERB01 only, MWh rising by 1.
    const header =
      'I,DISPATCH,UNIT_SOLUTION,6,SETTLEMENTDATE,RUNNO,DUID,INTERVENTION,DISPATCHMODE,TOTALCLEARED,AVAILABILITY,INITIAL_ENERGY_STORAGE,ENERGY_STORAGE';
    const values: number[] = [];
    const lines = [];
    for (let i = 1; i <= 288; i++) {
      const end = new Date((wm - 86400 + i * 300 + 36000) * 1000)
        .toISOString()
        .slice(0, 19)
        .replace('T', ' ')
        .replace(/-/g, '/');
      values.push(100 + i);
      lines.push(`D,DISPATCH,UNIT_SOLUTION,6,${end},1,ERB01,0,0,0,614.6,${99 + i},${100 + i}`);
    }
    const csv = [
      'C,NEMP.WORLD,NEXT_DAY_DISPATCH,AEMO,PUBLIC,2026/11/01,04:10:00,0000000517721207,NEXT_DAY_DISPATCH,0000000517721203',
      header,
      ...lines,
      'C,"END OF REPORT",292',
    ].join('\n');
    await ingestBuffer(conn, 'PUBLIC_NEXT_DAY_DISPATCH_TEST.CSV', new TextEncoder().encode(csv));
    const [got] = await all(conn, soc);
    expect(got.soc_n).toBe(288);
    expect(got.soc_mwh).toBeCloseTo(values.reduce((a, b) => a + b, 0) / 288, 6);
    conn.closeSync();
    instance.closeSync();
  });
});
