// The demo's forecasts: one P5MIN run per interval and one pre-dispatch run per half hour, each published by the
// watermark (forecasts.ts), error growing with lead time, spikes missed and spikes forecast that never come; the same
// bytes from the same seed and end; and a store made before forecasts existed gets them when it is opened.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from './db.ts';
import { buildDemo, DEMO_WATERMARK } from './demo.ts';
import { loadRegistry, SEED_REGISTRY } from './registry.ts';
import { readGeneration } from './version.ts';

const DAYS = 7;
const root = mkdtempSync(join(tmpdir(), 'nem-demo-fc-'));
const open: { instance: DuckDBInstance; conn: DuckDBConnection }[] = [];

async function store(name: string): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  const { instance } = await openStore({ dataDir: join(root, name), threads: 2 });
  const s = { instance, conn: await instance.connect() };
  open.push(s);
  return s;
}
const rows = async <T = Record<string, unknown>>(conn: DuckDBConnection, sql: string) =>
  (await conn.runAndReadAll(sql)).getRowObjectsJS() as T[];
const CHECKSUM = `SELECT (SELECT sum(hash(run_ts, ts, region, rrp, totaldemand)) FROM p5min_region)::VARCHAR AS p5,
  (SELECT sum(hash(run_ts, ts, region, rrp)) FROM predispatch_price)::VARCHAR AS pd,
  (SELECT sum(hash(run_ts, ts, region, totaldemand)) FROM predispatch_demand)::VARCHAR AS pdd`;

let a: DuckDBConnection;
beforeAll(async () => {
  a = (await store('a')).conn;
  await loadRegistry(a, SEED_REGISTRY);
  await buildDemo(a, { days: DAYS });
}, 180_000);
afterAll(() => {
  for (const s of open.splice(0)) {
    s.conn.closeSync();
    s.instance.closeSync();
  }
  rmSync(root, { recursive: true, force: true });
});

describe('demo forecasts', () => {
  it('has a P5MIN run per interval and a pre-dispatch run per half hour, the newest published by the watermark', async () => {
    const [p5] = await rows<{ runs: number; last: number; per: number; h: number }>(
      a,
      `SELECT count(DISTINCT run_ts)::INTEGER AS runs, max(run_ts) AS last, (count(*) / count(DISTINCT run_ts))::INTEGER AS per,
        max(ts - run_ts) AS h FROM p5min_region`,
    );
    // The first run is the data's first interval; the last, the one the interval before the watermark made.
    expect(p5).toEqual({ runs: DAYS * 288 - 1, last: DEMO_WATERMARK - 300, per: 12 * 5, h: 3300 });
    const [pd] = await rows<{ last: number; gaps: number; hmin: number; hmax: number }>(
      a,
      `SELECT max(run_ts) AS last, count(*) FILTER (WHERE d <> 1800)::INTEGER AS gaps, min(h0) AS hmin, max(h) AS hmax
       FROM (SELECT run_ts, run_ts - lag(run_ts) OVER (ORDER BY run_ts) AS d, min(ts - run_ts) AS h0, max(ts - run_ts) AS h
         FROM predispatch_price GROUP BY run_ts) x`,
    );
    // Published 10 minutes into its first half hour: the watermark's run ends within 20 minutes after it.
    expect(pd.last).toBe(Math.floor((DEMO_WATERMARK + 1200) / 1800) * 1800);
    expect(pd.gaps).toBe(0);
    // To 04:00 at the end of the trading day (15 h or less ahead), or of the next one from 12:30 (up to 39 h).
    expect(pd.hmin).toBeGreaterThanOrEqual(0);
    expect(pd.hmax).toBe(39 * 3600);
    const [both] = await rows<{ n: number }>(
      a,
      `SELECT count(*)::INTEGER AS n FROM predispatch_price p JOIN predispatch_demand d USING (run_ts, ts, region)`,
    );
    expect(both.n).toBe(Number((await rows(a, 'SELECT count(*)::INTEGER AS n FROM predispatch_price'))[0].n));
  });

  it('errs more the further ahead, misses some spikes and forecasts some that do not come', async () => {
    const p5 = await rows<{ lead: number; mae: number }>(
      a,
      `SELECT (f.ts - f.run_ts) // 300 AS lead, avg(abs(f.rrp - p.rrp)) AS mae FROM p5min_region f
       JOIN price p USING (ts, region) WHERE p.rrp < 300 GROUP BY 1 ORDER BY 1`,
    );
    expect(p5).toHaveLength(12);
    expect(p5[11].mae).toBeGreaterThan(2 * p5[0].mae);
    const pd = await rows<{ far: boolean; mae: number }>(
      a,
      `WITH a AS (SELECT ((ts + 1799) // 1800) * 1800 AS ts, region, avg(rrp) AS rrp FROM price GROUP BY ALL)
       SELECT f.ts - f.run_ts >= 12 * 3600 AS far, avg(abs(f.rrp - a.rrp) / greatest(abs(a.rrp), 10)) AS mae
       FROM predispatch_price f JOIN a USING (ts, region) WHERE a.rrp < 300 GROUP BY 1 ORDER BY 1`,
    );
    expect(pd[1].mae).toBeGreaterThan(1.5 * pd[0].mae);
    const [s] = await rows<{ seen: number; missed: number; fake: number }>(
      a,
      `SELECT count(*) FILTER (WHERE p.rrp >= 300)::INTEGER AS seen,
        count(*) FILTER (WHERE p.rrp >= 300 AND f.rrp < 300)::INTEGER AS missed,
        count(*) FILTER (WHERE p.rrp < 300 AND f.rrp >= 300)::INTEGER AS fake
       FROM predispatch_price f JOIN price p USING (ts, region)`,
    );
    expect(s.seen).toBeGreaterThan(0);
    expect(s.missed).toBeGreaterThan(0);
    expect(s.missed).toBeLessThan(s.seen);
    expect(s.fake).toBeGreaterThan(0);
  });

  it('writes the same bytes from the same seed and end; a store from before forecasts gets them when opened', async () => {
    const expected = (await rows(a, CHECKSUM))[0];
    const b = await store('b');
    await loadRegistry(b.conn, SEED_REGISTRY);
    await buildDemo(b.conn, { days: DAYS });
    expect((await rows(b.conn, CHECKSUM))[0]).toEqual(expected);
    // As a schema-4 store: no forecasts. Reopened, it is migrated and gets the same runs a build makes.
    for (const t of ['p5min_region', 'predispatch_price', 'predispatch_demand']) await b.conn.run(`DELETE FROM ${t}`);
    await b.conn.run(`UPDATE meta SET value = '4' WHERE key = 'schema_version'`);
    const before = await readGeneration(b.conn);
    b.conn.closeSync();
    b.instance.closeSync();
    open.splice(open.indexOf(b), 1);
    const c = await store('b');
    expect((await rows(c.conn, CHECKSUM))[0]).toEqual(expected);
    expect(await readGeneration(c.conn)).not.toBe(before);
    expect(await rows(c.conn, `SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual([{ value: '5' }]);
  }, 180_000);
});
