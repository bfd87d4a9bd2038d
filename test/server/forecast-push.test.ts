// A forecast run reaches subscribers through the live pipeline: a P5MIN file stored before the interval that publishes
// it is pushed with that interval; a run landing after it (a late file, a re-run) is a revision, pushed at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pipeline } from '../../server/live/pipeline.ts';
import { createLogger } from '../../server/log.ts';
import { ingestBuffer } from '../../server/store/ingest.ts';
import { widen } from '../../server/store/window.ts';
import { NEM_OFFSET_S } from '../../shared/nem.ts';
import { startTestServer, storeInterval, TestClient, type TestServer } from './harness.ts';

/** A P5MIN REGIONSOLUTION file of one SA1 run at `run` (epoch s), prices base, base + 1, …, columns in a new order. */
function p5File(run: number, base: number): Buffer {
  const t = (ts: number) => {
    const iso = new Date((ts + NEM_OFFSET_S) * 1000).toISOString();
    return `"${iso.slice(0, 10).replace(/-/g, '/')} ${iso.slice(11, 19)}"`;
  };
  const lines = [
    'C,NEMP.WORLD,P5MIN,AEMO,PUBLIC',
    'I,P5MIN,REGIONSOLUTION,10,INTERVAL_DATETIME,REGIONID,RUN_DATETIME,TOTALDEMAND,INTERVENTION,RRP,SOMETHING_NEW',
  ];
  for (let k = 0; k < 12; k++) {
    lines.push(`D,P5MIN,REGIONSOLUTION,10,${t(run + k * 300)},SA1,${t(run)},${1500 + k},0,${base + k},x`);
    lines.push(`D,P5MIN,REGIONSOLUTION,10,${t(run + k * 300)},SA1,${t(run)},9999,1,9999,x`);
  }
  lines.push('C,"END OF REPORT",27');
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

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
      const file = await ingestBuffer(conn, 'PUBLIC_P5MIN_RUN.CSV', p5File(run, 100));
      expect(file.rows.p5min_region).toBe(12);
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
      expect([at(run), at(run + 300), at(run + 11 * 300)]).toEqual([100, 101, 111]);
      expect(push.data.series.actualPrice[push.data.time.indexOf(next)]).toBe(111);

      // AEMO re-runs it: the file lands after the watermark that published the run, so answers there change.
      const rerun = await ingestBuffer(conn, 'PUBLIC_P5MIN_RUN_2.CSV', p5File(run, 200));
      const revised = await pipeline.onBatch(batch(rerun.window!));
      expect(revised).toMatchObject({ watermark: next, revised: true });
      const again = await c.next((f) => f.t === 'push' && f.id === 'fc');
      expect(again.data.series.p5minPrice[again.data.time.indexOf(run)]).toBe(200);
    } finally {
      conn.closeSync();
      await c.close();
    }
  });
});
