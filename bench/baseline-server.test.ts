// The baseline must answer what the real catalogue answers, or the round-trip ratio compares different work.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { fill, openTestStore, rawRows, WATERMARK, T0 } from '../server/catalogue/test-data.ts';
import { runQuery } from '../server/catalogue/index.ts';
import { validateParams } from '../shared/kinds.ts';
import { spawnServer, type SpawnedServer } from '../soak/spawn-server.ts';
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
  const store = await openTestStore();
  await fill(store.conn, rawRows());
  for (const q of queryMix()) {
    const v = validateParams(q.kind, q.params);
    if (!v.ok) throw new Error(v.message);
    // Through JSON, as the baseline sends it.
    expected.set(JSON.stringify(q), JSON.parse(JSON.stringify(await runQuery({ conn: store.conn, watermark: WATERMARK, firstTs: T0 + 300 }, v.kind, v.params))));
  }
  store.conn.closeSync();
  store.instance.closeSync();
  dir = mkdtempSync(join(tmpdir(), 'nemlive-baseline-'));
  cpSync(store.dir, join(dir, 'data'), { recursive: true });
  rmSync(store.dir, { recursive: true, force: true });
  server = await spawnServer({ dataDir: join(dir, 'data'), cacheDir: join(dir, 'cache'), demoDays: 3, replaySeconds: 0, entry: 'bench/baseline-server.ts', extraArgs: ['--data-dir', join(dir, 'data')], readyTimeoutMs: 60_000 });
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
    const health = async () => (await (await fetch(`${server.base}/healthz`)).json()) as { sessions: number; duckdbConnections: number };
    const settle = async () => {
      for (let i = 0; i < 100 && (await health()).sessions > 0; i++) await new Promise((r) => setTimeout(r, 50));
    };
    await settle(); // the previous test's socket may still be closing
    const sockets = await Promise.all(Array.from({ length: 5 }, () => new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(server.url);
      ws.once('message', () => resolve(ws));
    })));
    expect(await health()).toMatchObject({ sessions: 5, duckdbConnections: 5 });
    await Promise.all(sockets.map((ws) => new Promise((r) => (ws.once('close', r), ws.close()))));
    await settle();
    expect(await health()).toMatchObject({ sessions: 0, duckdbConnections: 0 });
  });
});
