// Slow readers: a socket that stops reading is skipped for pushes while behind (counted) and gets the latest state
// when it drains; one that stays stuck while asking for more is closed at the backpressure cap. Server memory stays
// bounded either way, and other sockets are unaffected.
import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { toNemIso } from '../../shared/nem.ts';
import { addInterval, healthz, metric, startTestServer, TestClient, type Frame, type TestServer } from './harness.ts';
import { waitFor } from '../util/wait.ts';

const BIG = { kind: 'tab.generation', params: { region: 'NEM', range: 'all', resolution: '5m' } }; // ~88 KB
const MB = 1 << 20;

/** Stops reading the socket: the kernel buffers fill, then the server's. */
function pause(c: TestClient): Socket {
  const socket = (c.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return socket;
}

const metricsText = async (s: TestServer) => (await fetch(`${s.url}/metrics`)).text();

describe('slow readers', () => {
  it('a socket that falls behind is skipped for pushes and catches up with the latest state when it drains', async () => {
    const server = await startTestServer({
      limits: { ratePerSecond: 1e6, rateBurst: 1e6, behindBytes: 256 << 10, maxBackpressure: 256 * MB },
    });
    try {
      const sub = { regions: ['SA1'], range: '24h', resolution: '5m' };
      const slow = await TestClient.open(server.wsUrl);
      const fast = await TestClient.open(server.wsUrl);
      await slow.request('sub', 'prices.history', sub, 'h');
      await fast.request('sub', 'prices.history', sub, 'h');
      const reference = await slow.query(BIG.kind, BIG.params); // cached from here on
      const session = server.sessions.get(slow.hello.session)!;
      const socket = pause(slow);
      let sent = 0;
      while (session.bufferedAmount() <= 256 << 10 && sent < 5000) {
        for (let i = 0; i < 20; i++) slow.send({ t: 'query', id: `big${sent++}`, kind: BIG.kind, params: BIG.params });
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(session.bufferedAmount()).toBeGreaterThan(256 << 10);
      const skippedBefore = metric(await metricsText(server), 'nemlive_push_skipped_total');

      const next = await addInterval(server, { SA1: 77, NSW1: 66 });
      await server.pushUpdate();
      const pushed = await fast.next((f) => f.t === 'push' && f.id === 'h');
      expect(pushed.meta.watermark).toBe(toNemIso(next));
      expect(session.stale).toBe(true);
      expect(metric(await metricsText(server), 'nemlive_push_skipped_total') - skippedBefore).toBe(1);

      socket.resume();
      // Everything buffered arrives, then, on drain, the subscription's current state as a push.
      const caughtUp = await slow.next((f) => f.t === 'push' && f.id === 'h', 60_000);
      expect(caughtUp.meta.watermark).toBe(toNemIso(next));
      expect(caughtUp.data).toEqual(pushed.data);
      expect(session.stale).toBe(false);
      const big = slow.frames.filter((f) => f.t === 'result' && String(f.id).startsWith('big'));
      console.log(
        `slow reader: ${sent} big queries sent while paused, ${big.length} answered before the catch-up push`,
      );
      // Result frames are built in one reused buffer (server/answer.ts sentNowFrame); what uWS buffered for this
      // socket must be its own copy: every frame intact, each id once, the same data as the reference answer.
      expect(big.length).toBeGreaterThan(0);
      expect(new Set(big.map((f) => f.id)).size).toBe(big.length);
      const fingerprint = (data: Frame['data']) => {
        const g = data.panels.generation;
        return [Object.keys(data.panels), g.time.length, g.time.at(-1), g.price.at(-1), g.table.length];
      };
      for (const f of big) expect(fingerprint(f.data)).toEqual(fingerprint(reference.data));
      // Back on its topic: the next interval reaches it like everyone else.
      const after = await addInterval(server, { SA1: 77, NSW1: 66 });
      await server.pushUpdate();
      expect((await slow.next((f) => f.t === 'push' && f.meta.watermark === toNemIso(after), 60_000)).id).toBe('h');
      await Promise.all([slow.close(), fast.close()]);
    } finally {
      await server.stop();
    }
  });

  it('a reader that stays stuck is closed at the backpressure cap; server memory stays bounded', async () => {
    const server = await startTestServer({ limits: { ratePerSecond: 1e6, rateBurst: 1e6, maxBackpressure: 2 * MB } });
    try {
      const bystander = await TestClient.open(server.wsUrl);
      const stuck = await TestClient.open(server.wsUrl);
      const first = await stuck.query(BIG.kind, BIG.params);
      expect(first.t).toBe('result');
      const socket = pause(stuck);
      const rssBefore = process.memoryUsage().rss;
      let sent = 0;
      let peak = rssBefore;
      // Ask for far more than the kernel buffers and the 2 MB cap hold (2,500 × 88 KB ≈ 210 MB).
      while ((await healthz(server.url)).sessions === 2 && sent < 2500) {
        for (let i = 0; i < 50; i++) stuck.send({ t: 'query', id: sent++, kind: BIG.kind, params: BIG.params });
        await new Promise((r) => setTimeout(r, 10));
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      const h = await waitFor(
        () => healthz(server.url),
        (v) => v.sessions === 1 && v.duckdbConnections === 1,
      );
      expect(h.sessions).toBe(1);
      console.log(
        `stuck reader closed after ${sent} queries (~${((sent * 88) / 1024).toFixed(0)} MB asked); RSS ${(rssBefore / MB).toFixed(0)} → peak ${(peak / MB).toFixed(0)} MB`,
      );
      expect(peak - rssBefore).toBeLessThan(64 * MB);
      expect(metric(await metricsText(server), 'nemlive_ws_send_dropped_total')).toBeGreaterThan(0);
      expect((await bystander.query('prices.current')).t).toBe('result');
      socket.resume();
      expect((await stuck.closed).code).not.toBe(1000);
      await bystander.close();
    } finally {
      await server.stop();
    }
  });
});
