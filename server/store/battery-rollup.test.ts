// battery_1d (schema version 4): a store made before it gets it filled from its stored SCADA when next opened for
// writing, the same rows a fresh build holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './db.ts';
import { buildDemo } from './demo.ts';
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
    expect(await all(conn, `SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual([{ value: '4' }]);
    conn.closeSync();
    second.instance.closeSync();
  });
});
