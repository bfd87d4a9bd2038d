// The demo feed's clock: following the wall clock it appends, at each step, every interval that has ended since the
// last one (at most a day per step), and nothing when none has; replaying, one interval per step. A real store, the
// real generator; only the wall clock is the test's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, readWatermark } from '../store/db.ts';
import { appendDemo, buildDemo, DEMO_WATERMARK } from '../store/demo.ts';
import { loadRegistry, SEED_REGISTRY } from '../store/registry.ts';
import { createLogger } from '../log.ts';
import type { Batch } from './intake.ts';
import { DemoFeed, type DemoPace } from './demo.ts';

const dir = mkdtempSync(join(tmpdir(), 'nem-demo-feed-'));
let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  ({ instance } = await openStore({ dataDir: dir, threads: 2 }));
  conn = await instance.connect();
  await loadRegistry(conn, SEED_REGISTRY);
  await buildDemo(conn, { days: 1 });
}, 120_000);
afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

function feed(pace: DemoPace, wallS: { now: number }, last = DEMO_WATERMARK) {
  const batches: Batch['window'][] = [];
  const f = new DemoFeed(
    (to) => appendDemo(conn, undefined, to),
    last,
    pace,
    createLogger('silent'),
    (b) => void batches.push(b.window),
    () => wallS.now * 1000,
  );
  return { f, batches };
}

describe('DemoFeed', () => {
  it('following the clock: catches up what ended since, then one interval per boundary, none twice', async () => {
    const wall = { now: DEMO_WATERMARK + 3 * 300 + 42 }; // three intervals have ended since the store's last
    const { f, batches } = feed({ clock: true }, wall);
    expect(await f.step()).toBe(DEMO_WATERMARK + 900);
    expect(batches).toEqual([{ minTs: DEMO_WATERMARK + 300, maxTs: DEMO_WATERMARK + 900 }]);
    expect(await f.step()).toBe(DEMO_WATERMARK + 900); // no boundary passed: nothing appended, nothing reported
    expect(batches).toHaveLength(1);
    wall.now += 300;
    expect(await f.step()).toBe(DEMO_WATERMARK + 1200);
    expect(batches[1]).toEqual({ minTs: DEMO_WATERMARK + 1200, maxTs: DEMO_WATERMARK + 1200 });
    expect((await readWatermark(conn))!.watermark).toBe(DEMO_WATERMARK + 1200);
    const dupes = (
      await conn.runAndReadAll('SELECT count(*) FROM (SELECT ts, duid FROM scada GROUP BY ALL HAVING count(*) > 1)')
    ).getRows();
    expect(Number(dupes[0][0])).toBe(0);
  });

  it('following the clock after a long sleep: a day per step, so each transaction stays bounded', async () => {
    const start = (await readWatermark(conn))!.watermark;
    const wall = { now: start + 2 * 86400 + 10 };
    const { f } = feed({ clock: true }, wall, start);
    expect(await f.step()).toBe(start + 86400);
    expect(await f.step()).toBe(start + 2 * 86400);
  }, 120_000);

  it('replaying: one interval per step whatever the clock says', async () => {
    const start = (await readWatermark(conn))!.watermark;
    const { f } = feed({ clock: false, periodMs: 1000 }, { now: 0 }, start);
    expect(await f.step()).toBe(start + 300);
    expect(await f.step()).toBe(start + 600);
  });
});
