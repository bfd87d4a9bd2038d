// A socket's one way out (evict in server/socket-server.ts): however it ends (the client closes or vanishes, a frame
// too large, a send past the backpressure cap, shutdown's 1001), its subscriptions leave the pusher, its DuckDB
// connection closes and its session goes; /metrics and the handle show nothing left of it.
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, startTestServer, TestClient, type TestServer } from './harness.ts';
import { waitFor } from '../util/wait.ts';

const BIG = { kind: 'tab.generation', params: { region: 'NEM', range: 'all', resolution: '5m' } }; // ~88 KB

/** nemlive_sessions, nemlive_duckdb_connections and nemlive_subscriptions, as a scrape reads them. */
async function held(server: TestServer): Promise<[number, number, number]> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return [
    metric(text, 'nemlive_sessions'),
    metric(text, 'nemlive_duckdb_connections'),
    metric(text, 'nemlive_subscriptions'),
  ];
}

/** A socket with two subscriptions, each past its first result. */
async function subscribed(server: TestServer): Promise<TestClient> {
  const c = await TestClient.open(server.wsUrl);
  await c.request('sub', 'prices.current', {}, 'now');
  await c.request('sub', 'tab.nem', { region: 'SA1' }, 'tab');
  return c;
}

const released = (server: TestServer) =>
  waitFor(
    () => held(server),
    (h) => h.every((n) => n === 0),
  );

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { ratePerSecond: 1e6, rateBurst: 1e6, maxBackpressure: 1 << 20 } });
});
afterAll(async () => {
  await server?.stop();
});

describe('every way out of a socket releases what it held', () => {
  it('the client closes', async () => {
    const c = await subscribed(server);
    expect(await held(server)).toEqual([1, 1, 2]);
    await c.close();
    expect(await released(server)).toEqual([0, 0, 0]);
  });

  it('the client vanishes without a close frame', async () => {
    const c = await subscribed(server);
    c.ws.terminate();
    expect(await released(server)).toEqual([0, 0, 0]);
  });

  it('the server closes it for a frame too large', async () => {
    const c = await subscribed(server);
    c.send(new Uint8Array(server.config.maxPayloadBytes + 1));
    expect((await c.closed).code).toBe(1009);
    expect(await released(server)).toEqual([0, 0, 0]);
  });

  it('the server closes it at the backpressure cap', async () => {
    const c = await subscribed(server);
    expect((await c.query(BIG.kind, BIG.params)).t).toBe('result');
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    for (let sent = 0; server.sessions.size > 0 && sent < 2000;) {
      for (let i = 0; i < 50; i++) c.send({ t: 'query', id: sent++, kind: BIG.kind, params: BIG.params });
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await released(server)).toEqual([0, 0, 0]);
    socket.resume();
    expect((await c.closed).code).not.toBe(1000);
  });

  it('the server shuts down', async () => {
    const other = await startTestServer();
    const clients = await Promise.all([subscribed(other), subscribed(other)]);
    expect(other.pusher.count).toBe(4);
    await other.stop();
    for (const c of clients) expect((await c.closed).code).toBe(1001);
    expect([other.sessions.size, other.sessions.connections, other.pusher.count]).toEqual([0, 0, 0]);
  });
});
