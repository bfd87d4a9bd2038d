// The staged advance (server/live/pipeline.ts): after a batch commits, subscribers get the new interval pushed first,
// then the hot questions are computed at the new marks before the market moves, while requests keep getting the old
// watermark's answers (a new subscriber is caught up at once); after the advance those questions come from the
// cache, with the new interval in them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNemIso } from '../../shared/nem.ts';
import { createLogger } from '../../server/log.ts';
import { Pipeline } from '../../server/live/pipeline.ts';
import type { AnswerPath } from '../../server/answer-path.ts';
import { startTestServer, storeInterval, TestClient, type TestServer } from './harness.ts';
import { waitFor } from '../util/wait.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('staged advance', () => {
  it('serves the old watermark from cache while the new one is computed, then the new one from cache', async () => {
    const path = server.answerPath!;
    // Staged answers wait on this until the test has asked its questions during the refresh.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let staged = 0;
    const gated: AnswerPath = {
      ...path,
      answer: async (kind, params, at) => {
        if (at) {
          staged++;
          await held;
        }
        return path.answer(kind, params, at);
      },
    };
    const conn = await server.instance.connect();
    const pipeline = new Pipeline(conn, {
      market: server.market,
      pusher: server.pusher,
      answerPath: gated,
      log: createLogger('silent'),
    });
    const c = await TestClient.open(server.wsUrl);
    const late = await TestClient.open(server.wsUrl);
    const hist = { regions: ['SA1'], range: '24h', resolution: '5m' };
    try {
      const old = server.market.watermark;
      // Hot at the old watermark: asked (and so cached) before the interval arrives; one is also subscribed.
      const first = await c.query('prices.current');
      expect(first.meta.watermark).toBe(toNemIso(old));
      await c.request('sub', 'prices.history', hist, 'h');
      const oldRrp = first.data.rows.find((r: { region: string }) => r.region === 'SA1').rrp;

      const next = await storeInterval(server, { SA1: 4321.5, NSW1: 99 });
      const done = pipeline.onBatch({
        source: 'test',
        files: [],
        rows: { price: 2 },
        window: { minTs: next, maxTs: next },
        ingestedAt: performance.now(),
      });
      await waitFor(
        () => staged,
        (n) => n > 0,
      );
      // Pushed before the hot questions are computed: the subscriber has the new interval, the market has not moved.
      const push = await c.next((f) => f.t === 'push' && f.id === 'h');
      expect(push.meta.watermark).toBe(toNemIso(next));
      expect(push.data.series.SA1.at(-1)).toBe(4321.5);
      // A subscriber arriving now is answered at the market's watermark and caught up to the pushed one at once.
      const lateFirst = await late.request('sub', 'prices.history', hist, 'h2');
      expect(lateFirst.meta.watermark).toBe(toNemIso(old));
      const lateCaughtUp = await late.next((f) => f.t === 'push' && f.id === 'h2');
      expect(lateCaughtUp.meta.watermark).toBe(toNemIso(next));
      expect(lateCaughtUp.data).toEqual(push.data);
      // During the refresh: the market has not moved; a cached question is answered at the old watermark from the
      // cache, and one that was never asked is computed at the old watermark, without the rows just stored.
      expect(server.market.watermark).toBe(old);
      const during = await c.query('prices.current');
      expect(during.meta).toMatchObject({ cache: 'lru', watermark: toNemIso(old) });
      expect(during.data).toEqual(first.data);
      const cold = await c.query('prices.history', { regions: ['SA1'], range: '7d', resolution: '5m' });
      expect(cold.meta).toMatchObject({ cache: 'db', watermark: toNemIso(old) });
      expect(cold.data.time.at(-1)).toBe(old);

      release();
      const outcome = await done;
      expect(outcome?.watermark).toBe(next);
      expect(server.market.watermark).toBe(next);
      // Right after the advance the hot question comes from the cache, at the new watermark, with the new interval.
      const after = await c.query('prices.current');
      expect(after.meta.cache).toMatch(/^(lru|lmdb)$/);
      expect(after.meta.watermark).toBe(toNemIso(next));
      const sa1 = after.data.rows.find((r: { region: string }) => r.region === 'SA1');
      expect(sa1.rrp).toBe(4321.5);
      expect(sa1.rrp).not.toBe(oldRrp);
      // So did the subscribed one (already computed before the advance, so the push cycle did not query).
      const again = await c.query('prices.history', hist);
      expect(again.meta).toMatchObject({ cache: expect.stringMatching(/^(lru|lmdb)$/), watermark: toNemIso(next) });
      expect(staged).toBeGreaterThanOrEqual(1);
      // The advance pushed nothing more (the pushes taken above were removed from the queues): each subscriber got
      // the new interval once.
      await new Promise((r) => setTimeout(r, 200));
      expect(c.frames.filter((f) => f.t === 'push')).toEqual([]);
      expect(late.frames.filter((f) => f.t === 'push')).toEqual([]);
    } finally {
      release();
      await pipeline.settled();
      conn.closeSync();
      await c.close();
      await late.close();
    }
  });
});
