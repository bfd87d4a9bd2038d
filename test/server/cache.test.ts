// The cache through the real server: single flight across sockets, a restart served from LMDB, boot warmup,
// and new keys when the watermark moves. Real store, real uWS app, real LMDB, `ws` clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../server/app.ts';
import { makeKey, queryOf } from '../../server/cache/key.ts';
import { createLogger } from '../../server/log.ts';
import { registry } from '../../server/metrics.ts';
import { validateParams } from '../../shared/kinds.ts';
import { encode } from '../../shared/protocol.ts';
import { warmList } from '../../server/warmup/list.ts';
import { loadHotList } from '../../server/warmup/hot-list.ts';
import { makeStoreDir, metric, TestClient, testConfig } from './harness.ts';

let store: Awaited<ReturnType<typeof makeStoreDir>>;
beforeAll(async () => {
  store = await makeStoreDir('nemlive-srvcache-');
});
afterAll(() => store.remove());

const start = (env: Record<string, string> = {}) => startApp(testConfig(store, env), { log: createLogger('silent') });
const queriesRun = async (kind: string) =>
  metric(await registry.metrics(), 'nemlive_query_duration_seconds_count', `kind="${kind}"`) || 0;

describe('cache through the server', () => {
  it('runs one query for the same question asked at once on 50 sockets, and sends all of them the same data', async () => {
    const app = await start();
    const clients = await Promise.all(Array.from({ length: 50 }, () => TestClient.open(app.wsUrl)));
    try {
      const params = { region: 'SA1', range: '7d', resolution: '30m' };
      const before = await queriesRun('generation.byFuel');
      const frames = await Promise.all(clients.map((c) => c.query('generation.byFuel', params)));
      expect(await queriesRun('generation.byFuel')).toBe(before + 1);
      expect(frames.every((f) => f.t === 'result')).toBe(true);
      const first = Buffer.from(encode(frames[0].data));
      for (const f of frames) expect(Buffer.compare(Buffer.from(encode(f.data)), first)).toBe(0);
      expect(frames.filter((f) => f.meta.cache === 'db').length).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await app.close();
    }
  });

  it('serves from LMDB after a restart, byte-identical to what was computed before it', async () => {
    const params = { regions: ['NSW1', 'SA1'], range: '24h' };
    const a = await start();
    const c1 = await TestClient.open(a.wsUrl);
    const computed = await c1.query('tab.prices', params);
    expect(computed.meta.cache).toBe('db');
    const v = validateParams('tab.prices', params);
    if (!v.ok) throw new Error(v.message);
    const stored = a.cache!.get(
      makeKey('tab.prices', v.params, a.market.watermark, { generation: a.market.generation }),
    )!;
    expect(Buffer.compare(Buffer.from(stored.bytes), Buffer.from(encode(computed.data)))).toBe(0);
    await c1.close();
    await a.close();

    const b = await start();
    const c2 = await TestClient.open(b.wsUrl);
    try {
      const before = await queriesRun('tab.prices');
      const restarted = await c2.query('tab.prices', params);
      expect(restarted.meta.cache).toBe('lmdb');
      expect(restarted.data).toEqual(computed.data);
      expect((await c2.query('tab.prices', params)).meta.cache).toBe('lru');
      expect(await queriesRun('tab.prices')).toBe(before);
    } finally {
      await c2.close();
      await b.close();
    }
  });

  it('warms every listed query on boot, so the first tab a user opens is a cache hit', async () => {
    const app = await start({ WARM: '1' });
    const c = await TestClient.open(app.wsUrl);
    try {
      // The fixed list, then what the earlier tests' clients asked that it lacks (kept at their servers' shutdown).
      const fixed = warmList();
      const listed = new Set(fixed.map((q) => queryOf(q.kind, q.params)));
      const asked = loadHotList(store.cacheDir).filter((q) => !listed.has(queryOf(q.kind, q.params)));
      expect(asked.length).toBeGreaterThan(0);
      const n = fixed.length + asked.length;
      // Warmup runs after listening; the summary arrives when it is done.
      expect(await app.warmed).toMatchObject({ queries: n, failed: 0, hitRateAfter: 1 });
      expect(app.warmup).toMatchObject({ queries: n });
      const frame = await c.query('tab.generation', { region: 'VIC1', range: '30d' });
      expect(frame.meta.cache).not.toBe('db');
      const text = await registry.metrics();
      expect(metric(text, 'nemlive_warmup_queries', 'state="done"')).toBe(n);
      expect(metric(text, 'nemlive_warmup_queries', 'state="total"')).toBe(n);
    } finally {
      await c.close();
      await app.close();
    }
  });

  it('recomputes when the watermark moves: the new interval is in the answer, the old key is not used', async () => {
    const app = await start();
    const c = await TestClient.open(app.wsUrl);
    const conn = await app.instance.connect();
    try {
      const w0 = app.market.watermark;
      const old = await c.query('prices.current');
      expect((await c.query('prices.current')).meta.cache).toBe('lru');
      await conn.run(`INSERT INTO price VALUES (${w0 + 300}, 'NSW1', 123.45, 8000), (${w0 + 300}, 'SA1', -12.5, 1400)`);
      app.market.advance(w0 + 300);
      const fresh = await c.query('prices.current');
      expect(fresh.meta.cache).toBe('db');
      expect(fresh.data.time).toBe(w0 + 300);
      expect(old.data.time).toBe(w0);
      expect(fresh.data.rows.find((r: { region: string }) => r.region === 'SA1').rrp).toBe(-12.5);
      expect((await c.query('prices.current')).meta.cache).toBe('lru');
    } finally {
      conn.closeSync();
      await c.close();
      await app.close();
    }
  });
});
