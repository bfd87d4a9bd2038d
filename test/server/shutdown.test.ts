// `npm start` as a child process: SIGTERM stops accepting, closes every socket with 1001 and exits 0; refusals at
// boot (uWS fallback, bad config) exit non-zero with one clear line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNative, loadUws, UwsNotNativeError, type Uws } from '../../server/uws.ts';
import { openStore } from '../../server/store/db.ts';
import { startServer } from '../production/child.ts';
import { makeStoreDir, TestClient } from './harness.ts';

let store: Awaited<ReturnType<typeof makeStoreDir>>;
beforeAll(async () => {
  store = await makeStoreDir('nemlive-shutdown-');
});
afterAll(() => store?.remove());

describe('npm start', () => {
  it('on SIGTERM closes sockets with 1001, stops listening, releases the store and exits 0', async () => {
    const child = startServer(store);
    const url = await child.listening();
    const ws = url.replace('http', 'ws') + '/ws';
    const clients = await Promise.all([TestClient.open(ws), TestClient.open(ws), TestClient.open(ws)]);
    await clients[0].request('sub', 'tab.nem', { region: 'SA1' }, 'tab');
    clients[1].send({ t: 'query', id: 1, kind: 'tab.generators' }); // possibly still running at SIGTERM
    child.proc.kill('SIGTERM');
    const closes = await Promise.all(clients.map((c) => c.closed));
    expect(closes.map((c) => c.code)).toEqual([1001, 1001, 1001]);
    expect(closes[0].reason).toMatch(/shutting down/);
    expect(await child.exit).toEqual({ code: 0, signal: null });
    expect(child.out()).toMatch(/"msg":"server stopped"/);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // DuckDB was closed: the store opens again at once.
    const { instance } = await openStore({ dataDir: store.dataDir, threads: 1 });
    instance.closeSync();
  });

  it('SIGINT does the same', async () => {
    const child = startServer(store);
    const url = await child.listening();
    const c = await TestClient.open(url.replace('http', 'ws') + '/ws');
    child.proc.kill('SIGINT');
    expect((await c.closed).code).toBe(1001);
    expect((await child.exit).code).toBe(0);
  });

  it('refuses to start on the uWS fallback shim', async () => {
    const child = startServer(store, { UWS_USE_FALLBACK: '1' });
    expect((await child.exit).code).toBe(1);
    expect(child.out()).toMatch(/nem-live: UWS_USE_FALLBACK is set/);
  });

  it('stops at a bad setting with one line naming it', async () => {
    const child = startServer(store, { PORT: 'eighty' });
    expect((await child.exit).code).toBe(2);
    expect(child.out().trim()).toBe('nem-live: PORT="eighty" must be a whole number from 0 to 65535');
  });
});

describe('the uWS loader', () => {
  it('accepts the native build it loaded', () => {
    expect(() => assertNative(loadUws())).not.toThrow();
  });

  it('rejects a module whose App is JavaScript, or without the binary in the require cache', () => {
    const shim = { App: function App() {} } as unknown as Uws;
    expect(() => assertNative(shim)).toThrow(UwsNotNativeError);
    expect(() => assertNative(loadUws(), {})).toThrow(/native binary/);
  });
});

describe('npm start on an empty DATA_DIR', () => {
  it('builds the demo, then serves the protocol on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nemlive-demo-'));
    const child = startServer({ dataDir: join(dir, 'data'), cacheDir: join(dir, 'cache') }, { DEMO_DAYS: '2' });
    try {
      const url = await child.listening(120_000);
      expect(child.out()).toMatch(/demo: building 2 days/);
      const c = await TestClient.open(url.replace('http', 'ws') + '/ws');
      const tab = await c.request('sub', 'tab.nem', { region: 'NEM' }, 'tab');
      expect(tab).toMatchObject({ t: 'result', kind: 'tab.nem', meta: { watermark: c.hello.watermark } });
      expect(Object.keys(tab.data.panels).length).toBeGreaterThan(0);
      const byFuel = await c.query('generation.byFuel', { region: 'SA1', range: '24h' });
      expect(byFuel.data.time.length).toBe(288);
      child.proc.kill('SIGTERM');
      expect((await c.closed).code).toBe(1001);
      expect((await child.exit).code).toBe(0);
    } finally {
      child.proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
