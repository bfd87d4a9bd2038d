// Sessions own their DuckDB connections: connections held always equals sessions open, and everything returns
// when the sockets go (CONTRACT §2 duckdbConnections; issue 3's 200-session and 1,000-session checks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthz, metric, startTestServer, TestClient, waitFor, type TestServer } from './harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

async function duckdbMemory(): Promise<number> {
  const conn = await server.instance.connect();
  try {
    const rows = (await conn.runAndReadAll('SELECT sum(memory_usage_bytes)::DOUBLE AS m FROM duckdb_memory()')).getRowObjectsJS();
    return Number(rows[0].m);
  } finally {
    conn.closeSync();
  }
}

async function openMany(n: number): Promise<TestClient[]> {
  return Promise.all(Array.from({ length: n }, () => TestClient.open(server.wsUrl)));
}

const MB = 1 << 20;

describe('sessions and their connections', () => {
  it('200 concurrent sessions hold 200 DuckDB connections, and release all on close', async () => {
    const clients = await openMany(200);
    const h = await waitFor(() => healthz(server.url), (v) => v.duckdbConnections === 200);
    expect(h).toMatchObject({ status: 'ok', sessions: 200, duckdbConnections: 200 });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(text, 'nemlive_sessions')).toBe(200);
    expect(metric(text, 'nemlive_duckdb_connections')).toBe(200);
    // Each one answers on its own connection (distinct cold questions, so none is served by another's flight).
    const replies = await Promise.all(clients.map((c, i) => c.query('stations.search', { q: `x${i}` })));
    expect(replies.every((f) => f.t === 'result')).toBe(true);
    await Promise.all(clients.map((c) => c.close()));
    expect(await waitFor(() => healthz(server.url), (v) => v.sessions === 0 && v.duckdbConnections === 0)).toMatchObject({ sessions: 0, duckdbConnections: 0 });
    const after = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(after, 'nemlive_duckdb_connections')).toBe(0);
  });

  it('a socket closed mid-query still releases its connection', async () => {
    const clients = await openMany(20);
    clients.forEach((c, i) => c.send({ t: 'query', id: 1, kind: 'tab.generators', params: { regions: ['NSW1', 'SA1'].slice(0, 1 + (i % 2)) } }));
    clients.forEach((c) => c.ws.terminate());
    await waitFor(() => healthz(server.url), (v) => v.sessions === 0 && v.duckdbConnections === 0);
  });

  it('opening and closing 1,000 sessions returns RSS and DuckDB memory to where they were', async () => {
    // Settle first: the first sockets and queries allocate caches, JIT and pools that stay.
    for (let round = 0; round < 2; round++) {
      const warm = await openMany(100);
      await Promise.all(warm.map((c) => c.query('prices.current')));
      await Promise.all(warm.map((c) => c.close()));
    }
    await waitFor(() => healthz(server.url), (v) => v.sessions === 0 && v.duckdbConnections === 0);
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const duckBefore = await duckdbMemory();
    let peakSessions = 0;
    for (let batch = 0; batch < 10; batch++) {
      const clients = await openMany(100);
      await Promise.all(clients.map((c, i) => c.query('stations.search', { q: `b${batch}-${i % 10}` })));
      peakSessions = Math.max(peakSessions, (await healthz(server.url)).sessions);
      await Promise.all(clients.map((c) => c.close()));
    }
    await waitFor(() => healthz(server.url), (v) => v.sessions === 0 && v.duckdbConnections === 0);
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 500)); // DuckDB's background allocator threads return freed memory
    const rssAfter = process.memoryUsage().rss;
    const duckAfter = await duckdbMemory();
    console.log(
      `1,000 sessions (100 at a time): RSS ${(rssBefore / MB).toFixed(1)} → ${(rssAfter / MB).toFixed(1)} MB ` +
        `(Δ ${((rssAfter - rssBefore) / MB).toFixed(1)} MB, test clients included); ` +
        `duckdb_memory ${(duckBefore / MB).toFixed(2)} → ${(duckAfter / MB).toFixed(2)} MB`,
    );
    expect(peakSessions).toBe(100);
    expect(rssAfter - rssBefore).toBeLessThan(50 * MB);
    expect(duckAfter - duckBefore).toBeLessThan(50 * MB);
  });
});
