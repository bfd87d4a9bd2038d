// A forecast run reaches subscribers through the live pipeline: a P5MIN file stored before the interval that publishes
// it is pushed with that interval; a run landing after it (a late file, a re-run) is a revision, pushed at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pipeline } from '../../server/live/pipeline.ts';
import { createLogger } from '../../server/log.ts';
import { ingestBuffer } from '../../server/store/ingest.ts';
import { widen } from '../../server/store/window.ts';
import { p5min } from '../../bench/nemweb/files.ts';
import { startTestServer, storeInterval, TestClient, type TestServer } from './harness.ts';

let server: TestServer;
let pipeline: Pipeline;
beforeAll(async () => {
  server = await startTestServer();
  const conn = await server.instance.connect();
  pipeline = new Pipeline(conn, {
    market: server.market,
    pusher: server.pusher,
    answerPath: server.answerPath,
    log: createLogger('silent'),
  });
});
afterAll(() => server?.stop());

describe('forecast pushes', () => {
  it('pushes a new run with the interval that publishes it, and a re-run at once', async () => {
    const c = await TestClient.open(server.wsUrl);
    const first = await c.request('sub', 'forecasts.latest', { region: 'SA1', hours: 1 }, 'fc');
    expect(first.data.runs).toEqual({ p5min: null, predispatch: null });
    const run = server.market.watermark;
    const conn = await server.instance.connect();
    try {
      // The run lands first (as AEMO's P5MIN file often does), then the interval after it.
      const file = await ingestBuffer(conn, 'p5.zip', p5min(run, 100).bytes);
      expect(file.rows.p5min_region).toBe(60);
      const next = await storeInterval(server, { SA1: 111, NSW1: 99 });
      const batch = (window: { minTs: number; maxTs: number }) => ({
        source: 'aemo' as const,
        files: [],
        rows: {},
        window,
        ingestedAt: performance.now(),
      });
      const out = await pipeline.onBatch(batch(widen(file.window, { minTs: next, maxTs: next })));
      expect(out).toMatchObject({ watermark: next, revised: false });
      const push = await c.next((f) => f.t === 'push' && f.id === 'fc');
      expect(push.data.runs.p5min).toBe(run);
      const at = (ts: number) => push.data.series.p5minPrice[push.data.time.indexOf(ts)];
      expect([at(run), at(run + 300), at(run + 11 * 300)]).toEqual([103, 104, 114]); // SA1: base + 3 + interval
      expect(push.data.series.actualPrice[push.data.time.indexOf(next)]).toBe(111);

      // AEMO re-runs it: the file lands after the watermark that published the run, so answers there change.
      const rerun = await ingestBuffer(conn, 'p5-again.zip', p5min(run, 200).bytes);
      const revised = await pipeline.onBatch(batch(rerun.window!));
      expect(revised).toMatchObject({ watermark: next, revised: true });
      const again = await c.next((f) => f.t === 'push' && f.id === 'fc');
      expect(again.data.series.p5minPrice[again.data.time.indexOf(run)]).toBe(203);
    } finally {
      conn.closeSync();
      await c.close();
    }
  });
});
