// Rollups over a long window (a year's backfill) are computed a few NEM days at a time (refreshRollupsInChunks): the
// same rows as one pass, for a window starting mid-day, on a real demo store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, readWatermark } from './db.ts';
import { buildDemo } from './demo.ts';
import { refreshRollups, refreshRollupsInChunks } from './rollups.ts';
import { loadRegistry, SEED_REGISTRY } from './registry.ts';

const root = mkdtempSync(join(tmpdir(), 'nem-rollups-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const all = async (conn: DuckDBConnection, sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();

describe('rollups in chunks', () => {
  it('hold the same rows as one pass over the window, whatever the chunk', async () => {
    const { instance } = await openStore({ dataDir: join(root, 'chunks'), threads: 2 });
    const conn = await instance.connect();
    try {
      await loadRegistry(conn, SEED_REGISTRY);
      await buildDemo(conn, { days: 3 });
      const tables = ['rooftop_carried', 'gen_5m', 'gen_30m', 'gen_1d', 'unit_1d', 'unit_curtailment_1d', 'battery_1d'];
      const contents = async () => {
        const out: Record<string, unknown[]> = {};
        for (const t of tables) out[t] = await all(conn, `SELECT * FROM ${t} ORDER BY ALL`);
        return out;
      };
      const wm = (await readWatermark(conn))!.watermark;
      // A window starting mid-day, as a backfill's first file may.
      const from = wm - 3 * 86400 + 7 * 3600;
      const clear = () => conn.run(tables.map((t) => `DELETE FROM ${t};`).join(' '));
      await clear();
      await refreshRollups(conn, from, wm);
      const once = await contents();
      expect(once.gen_5m.length).toBeGreaterThan(0);
      for (const days of [1, 2]) {
        await clear();
        await refreshRollupsInChunks(conn, from, wm, days);
        expect(await contents(), `${days}-day chunks`).toEqual(once);
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }, 120_000);
});
