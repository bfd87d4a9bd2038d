// The baseline must answer what the real catalogue answers, or the round-trip ratio compares different work.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawnServer, type SpawnedServer } from '../soak/spawn-server.ts';
import { ask, syntheticStore } from '../test/util/catalogue.ts';
import { queryMix } from './query-mix.ts';

/** Equal up to a cent: sums run in a different thread order in another process and can round the other way. */
function close(actual: unknown, expected: unknown, path = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(0.011 + 1e-9 * Math.abs(expected));
  } else if (expected && typeof expected === 'object') {
    expect(actual && typeof actual === 'object', path).toBe(true);
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) close((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else expect(actual, path).toEqual(expected);
}

let dir: string;
let server: SpawnedServer;
const expected = new Map<string, unknown>();

beforeAll(async () => {
  const { store, ctx } = await syntheticStore();
  // Through JSON, as the baseline sends it.
  for (const q of queryMix())
    expected.set(JSON.stringify(q), JSON.parse(JSON.stringify(await ask(ctx, q.kind, q.params))));
  store.conn.closeSync();
  store.instance.closeSync();
  // The store's own temp dir serves as DATA_DIR; the baseline server keeps no cache.
  dir = store.dir;
  server = await spawnServer({
    dataDir: dir,
    cacheDir: join(dir, 'cache'),
    demoDays: 3,
    replaySeconds: 0,
    entry: 'bench/baseline-server.ts',
    extraArgs: ['--data-dir', dir],
    readyTimeoutMs: 60_000,
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('baseline server', () => {
  it('answers every query of the benchmark mix exactly as the catalogue does, in JSON', async () => {
    const ws = new WebSocket(server.url);
    onTestFinished(() => ws.close());
    const frames: { t: string; id?: number; data?: unknown; code?: string }[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (raw) => {
      frames.push(JSON.parse(String(raw)));
      waiters.shift()?.();
    });
    const next = () => new Promise<void>((r) => (frames.length ? r() : waiters.push(r))).then(() => frames.shift()!);
    expect((await next()).t).toBe('hello');
    for (const [i, q] of queryMix().entries()) {
      ws.send(JSON.stringify({ t: 'query', id: i, kind: q.kind, params: q.params }));
      const f = await next();
      expect(f, `${q.kind} ${JSON.stringify(q.params)}`).toMatchObject({ t: 'result', id: i });
      close(f.data, expected.get(JSON.stringify(q)), q.kind);
    }
    ws.send(JSON.stringify({ t: 'query', id: 'x', kind: 'tab.nope', params: {} }));
    expect(await next()).toMatchObject({ t: 'error', id: 'x', code: 'unknown_kind' });
    ws.send(JSON.stringify({ t: 'query', id: 'y', kind: 'tab.nem', params: { region: 'XX' } }));
    expect(await next()).toMatchObject({ t: 'error', id: 'y', code: 'bad_params' });
  });

  it('holds one DuckDB connection per socket and releases it on close', async () => {
    const health = async () =>
      (await (await fetch(`${server.base}/healthz`)).json()) as { sessions: number; duckdbConnections: number };
    const settle = async () => {
      for (let i = 0; i < 100 && (await health()).sessions > 0; i++) await new Promise((r) => setTimeout(r, 50));
    };
    await settle(); // the previous test's socket may still be closing
    const sockets = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<WebSocket>((resolve) => {
            const ws = new WebSocket(server.url);
            ws.once('message', () => resolve(ws));
          }),
      ),
    );
    expect(await health()).toMatchObject({ sessions: 5, duckdbConnections: 5 });
    await Promise.all(sockets.map((ws) => new Promise((r) => (ws.once('close', r), ws.close()))));
    await settle();
    expect(await health()).toMatchObject({ sessions: 0, duckdbConnections: 0 });
  });
});
