// Who may open a socket, and how long a quiet one lives: the origin allow-list and bearer token on the upgrade
// (and /metrics), automatic pings that keep a live idle socket open, and reaping of a dead one.
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../server/app.ts';
import { createLogger } from '../../server/log.ts';
import {
  healthz,
  makeStoreDir,
  startTestServer,
  TestClient,
  testConfig,
  upgradeStatus,
  type TestServer,
} from './harness.ts';
import { waitFor } from '../util/wait.ts';

describe('access', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { AUTH_TOKEN: 's3cret', ALLOWED_ORIGINS: 'https://nem.example, http://localhost:5006' },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('needs the token as a bearer header or ?token=', async () => {
    expect(await upgradeStatus(server.wsUrl)).toBe(401);
    expect(await upgradeStatus(server.wsUrl, { headers: { Authorization: 'Bearer wrong' } })).toBe(401);
    expect(await upgradeStatus(server.wsUrl, { headers: { Authorization: 'Bearer s3cret' } })).toBe(101);
    expect(await upgradeStatus(`${server.wsUrl}?token=s3cret`)).toBe(101);
    expect((await healthz(server.url)).status).toBe('ok'); // health stays open to load balancers
  });

  it('refuses origins outside the allow-list; clients that send none are let in', async () => {
    const ok = `${server.wsUrl}?token=s3cret`;
    expect(await upgradeStatus(ok, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(ok, { origin: 'https://nem.example' })).toBe(101);
    expect(await upgradeStatus(ok, { origin: 'http://localhost:5006' })).toBe(101);
    expect(await upgradeStatus(ok)).toBe(101);
  });

  it('protects /metrics with the token', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer s3cret' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^nemlive_sessions \d+$/m);
  });
});

describe('idle sockets', () => {
  it('pings keep a quiet live socket open; a dead one is reaped', async () => {
    const server = await startTestServer({ limits: { idleTimeoutS: 8 } });
    try {
      const alive = await TestClient.open(server.wsUrl);
      let pings = 0;
      alive.ws.on('ping', () => pings++);
      const dead = await TestClient.open(server.wsUrl);
      // Stops reading, so the server's pings go unanswered, like a peer behind a vanished NAT entry.
      (dead.ws as unknown as { _socket: Socket })._socket.pause();
      await waitFor(
        () => healthz(server.url),
        (h) => h.sessions === 1,
        60_000,
      );
      expect(server.sessions.get(alive.hello.session)).toBeDefined();
      expect(pings).toBeGreaterThan(0);
      expect((await alive.query('prices.current')).t).toBe('result');
      expect((await healthz(server.url)).duckdbConnections).toBe(1);
      await alive.close();
    } finally {
      await server.stop();
    }
  });
});

describe('idle timeout limits', () => {
  it('refuses an idle timeout uWS would abort the process on, and lets go of the store', async () => {
    const store = await makeStoreDir();
    try {
      const config = testConfig(store);
      const log = createLogger('silent');
      for (const idleTimeoutS of [1, 7])
        await expect(startApp(config, { log, limits: { idleTimeoutS } })).rejects.toThrow(RangeError);
      const app = await startApp(config, { log }); // the refused starts closed what they opened
      await app.close();
    } finally {
      store.remove();
    }
  });
});
