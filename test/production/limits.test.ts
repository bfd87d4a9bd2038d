// Limits and protection with WORKERS=2: the session cap holds across workers (`overloaded` beyond it), the origin
// allow-list and bearer token guard the upgrade and /metrics (which combines every process), frames over
// MAX_PAYLOAD_BYTES and floods over RATE_LIMIT are refused, and bad or clashing settings stop start-up. Then one
// process at a low open-files limit: sessions capped below it, and no accept() spin once connections exhaust it.
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { encode } from '../../shared/protocol.ts';
import { metric, TestClient, upgradeStatus } from '../server/harness.ts';
import { copyDirs, demoDirs, startServer, type Child, type Dirs } from './child.ts';
import { waitFor } from '../util/wait.ts';

let base: Dirs;
const extra: Dirs[] = [];
beforeAll(async () => {
  base = await demoDirs(1, 'nemlive-limits-');
});
afterAll(() => {
  base?.remove();
  extra.forEach((d) => d.remove());
});

async function serve(
  env: Record<string, string>,
  opts: { openFiles?: number } = {},
): Promise<{ child: Child; url: string; ws: string }> {
  const dirs = copyDirs(base, 'nemlive-limits-');
  extra.push(dirs);
  const child = startServer(dirs, { WORKERS: '2', ...env }, opts);
  const url = await child.listening();
  return { child, url, ws: `${url.replace('http', 'ws')}/ws` };
}

async function stop(child: Child): Promise<void> {
  child.proc.kill('SIGTERM');
  expect((await child.exit).code).toBe(0);
}

describe('session cap across workers', () => {
  it('never admits more than MAX_SESSIONS in total; the rest get `overloaded` and close 1013', async () => {
    const { child, ws } = await serve({ MAX_SESSIONS: '2' });
    try {
      const tries = await Promise.all(Array.from({ length: 6 }, () => TestClient.open(ws)));
      const admitted = tries.filter((c) => c.hello.t === 'hello');
      const refused = tries.filter((c) => c.hello.t === 'error');
      expect(admitted.length).toBeGreaterThanOrEqual(1);
      expect(admitted.length).toBeLessThanOrEqual(2);
      for (const c of refused) {
        expect(c.hello).toMatchObject({ t: 'error', code: 'overloaded' });
        expect((await c.closed).code).toBe(1013);
      }
      // Admitted sessions still work; closing them frees their places.
      for (const c of admitted) expect((await c.query('prices.current')).t).toBe('result');
      await Promise.all(admitted.map((c) => c.close()));
      const again = await TestClient.open(ws);
      expect(again.hello.t).toBe('hello');
      await again.close();
    } finally {
      await stop(child);
    }
  });
});

describe('access and size limits, WORKERS=2', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve({
      AUTH_TOKEN: 's3cret',
      ALLOWED_ORIGINS: 'https://nem.example',
      MAX_PAYLOAD_BYTES: '1024',
      RATE_LIMIT: '5',
      RATE_BURST: '3',
    });
  });
  afterAll(async () => {
    if (s) await stop(s.child);
  });

  it('refuses upgrades without the token (401) or from another origin (403)', async () => {
    expect(await upgradeStatus(s.ws)).toBe(401);
    expect(await upgradeStatus(s.ws, { headers: { Authorization: 'Bearer nope' } })).toBe(401);
    expect(await upgradeStatus(`${s.ws}?token=s3cret`, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(`${s.ws}?token=s3cret`, { origin: 'https://nem.example' })).toBe(101);
    expect(await upgradeStatus(s.ws, { headers: { Authorization: 'Bearer s3cret' } })).toBe(101);
  });

  it('guards /metrics with the token and reports every worker in one text', async () => {
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.open(`${s.ws}?token=s3cret`)));
    try {
      // Whichever worker answers the scrape, the sessions of both are in it (each reports within 250 ms).
      let sessions = NaN;
      for (let i = 0; i < 100 && sessions !== 5; i++) {
        const res = await fetch(`${s.url}/metrics`, { headers: { Authorization: 'Bearer s3cret' } });
        expect(res.status).toBe(200);
        sessions = metric(await res.text(), 'nemlive_sessions');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(sessions).toBe(5);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('answers a frame over MAX_PAYLOAD_BYTES with `too_large` and closes; a flood gets `rate_limited`', async () => {
    const big = await TestClient.open(`${s.ws}?token=s3cret`);
    big.send(encode({ t: 'query', id: 1, kind: 'prices.current', params: { pad: 'x'.repeat(1500) } }));
    expect(await big.next((f) => f.t === 'error')).toMatchObject({ code: 'too_large' });
    expect((await big.closed).code).toBe(1009);

    const flood = await TestClient.open(`${s.ws}?token=s3cret`);
    for (let id = 1; id <= 6; id++) flood.send({ t: 'query', id, kind: 'prices.current' });
    const replies = await Promise.all([1, 2, 3, 4, 5, 6].map((id) => flood.next((f) => f.id === id)));
    expect(replies.filter((f) => f.t === 'result').length).toBeGreaterThanOrEqual(3);
    expect(replies.filter((f) => f.code === 'rate_limited').length).toBeGreaterThanOrEqual(1);
    // Refused frames leave the socket open.
    expect(flood.ws.readyState).toBe(WebSocket.OPEN);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await flood.query('prices.current')).t).toBe('result');
    await flood.close();
  });
});

describe('start-up refusals', () => {
  it('stops with one line naming the setting for bad or clashing limits', () => {
    const bad = (env: Record<string, string>) => () => loadConfig([], env);
    expect(bad({ WORKERS: '4', MAX_SESSIONS: '3' })).toThrow(
      new ConfigError('MAX_SESSIONS=3 must be at least WORKERS=4 (each worker admits its share of the sessions)'),
    );
    expect(bad({ IDLE_TIMEOUT_S: '5' })).toThrow(/^IDLE_TIMEOUT_S="5" must be 0 \(off\) or from 8 to 960 seconds$/);
    expect(bad({ RATE_LIMIT: '0' })).toThrow(/^RATE_LIMIT="0" must be a whole number/);
    expect(() => loadConfig(['--max-sessions', '1', '--workers', '2'], {})).toThrow(
      /^--max-sessions=1 must be at least --workers=2/,
    );
    expect(bad({ DEMO_END: '2026-11-01T00:00' })).toThrow(
      /^DEMO_END="2026-11-01T00:00" must be now, epoch seconds, or/,
    );
    expect(loadConfig([], {}).demoEnd).toBe('now');
    expect(loadConfig([], { DEMO_END: '2026-11-01T00:07+10:00' }).demoEnd).toBe(Date.UTC(2026, 9, 31, 14, 5) / 1000);
    expect(loadConfig(['--demo-end', '1790000100'], {}).demoEnd).toBe(1790000100);
    expect(loadConfig([], { MAX_COLD_QUERIES: '3', SHUTDOWN_TIMEOUT_S: '20' })).toMatchObject({
      maxColdQueries: 3,
      shutdownTimeoutS: 20,
      rateLimit: 200,
    });
  });

  it('refuses a port another server holds instead of sharing it', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) =>
      holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)),
    );
    try {
      const child = startServer(base, { PORT: String(port) });
      expect((await child.exit).code).toBe(1);
      expect(child.out()).toMatch(new RegExp(`nem-live: port ${port} on 127.0.0.1 is in use`));
    } finally {
      holder.close();
    }
  });
});

/**
 * Share of wall time the process's main (event loop) thread was running or waiting to run: ~1 when it spins,
 * whatever the machine's load.
 */
async function runnableShare(pid: number, ms: number): Promise<{ runnable: number; cpu: number }> {
  const read = () => readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  const [run0, wait0] = read();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const [run1, wait1] = read();
  const wall = Number(process.hrtime.bigint() - t0);
  return { runnable: (run1 - run0 + wait1 - wait0) / wall, cpu: (run1 - run0) / wall };
}

async function healthStatus(url: string): Promise<number | string> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).status;
  } catch (err) {
    return (err as Error).name;
  }
}

describe('at the open-files limit (ulimit -n 200, one process)', () => {
  const LIMIT = 200;
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve({ WORKERS: '1' }, { openFiles: LIMIT });
  });
  afterAll(async () => {
    if (s) await stop(s.child);
  });

  it('admits no more sessions than the limit leaves room for; the rest get `overloaded`', async () => {
    const warned =
      /"maxSessions":20000,"openFilesLimit":200,"admitted":(\d+),"msg":"MAX_SESSIONS is above what the open-files limit allows/;
    expect(s.child.out()).toMatch(warned);
    const admitted = Number(/"admitted":(\d+)/.exec(s.child.out())![1]);
    expect(admitted).toBeLessThan(LIMIT);
    const clients: TestClient[] = [];
    for (let i = 0; i <= admitted; i++) clients.push(await TestClient.open(s.ws));
    expect(clients.filter((c) => c.hello.t === 'hello').length).toBe(admitted);
    expect(clients.at(-1)!.hello).toMatchObject({ t: 'error', code: 'overloaded' });
    await Promise.all(clients.map((c) => c.close()));
  });

  it('stops accepting instead of spinning when connections exhaust the descriptors, and answers again once they close', async () => {
    const pid = s.child.proc.pid!;
    expect(await healthStatus(s.url)).toBe(200);
    const port = Number(new URL(s.url).port);
    const sockets: Socket[] = [];
    // More than the limit: the kernel completes each handshake into the listen backlog whether or not it is accepted.
    await Promise.all(
      Array.from(
        { length: LIMIT + 100 },
        () =>
          new Promise<void>((resolve) => {
            const sock = connect(port, '127.0.0.1', () => resolve());
            sock.on('error', () => resolve());
            sockets.push(sock);
          }),
      ),
    );
    try {
      await waitFor(
        () => readdirSync(`/proc/${pid}/fd`).length,
        (n) => n >= LIMIT - 20,
      );
      const flooded = await runnableShare(pid, 2000);
      const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
      console.log(
        `fd exhaustion: event loop runnable ${pct(flooded.runnable)} of wall time, on CPU ${pct(flooded.cpu)}`,
      );
      expect(flooded.runnable).toBeLessThan(0.5);
      await waitFor(
        () => s.child.out(),
        (out) => /"limit":200,"port":\d+,"msg":"out of file descriptors/.test(out),
      );
    } finally {
      for (const sock of sockets) sock.destroy();
    }
    expect(
      await waitFor(
        () => healthStatus(s.url),
        (st) => st === 200,
        30_000,
      ),
    ).toBe(200);
    await waitFor(
      () => s.child.out(),
      (out) => /"msg":"file descriptors free again: accepting connections"/.test(out),
    );
    const after = await runnableShare(pid, 1000);
    expect(after.runnable).toBeLessThan(0.5);
    const again = await TestClient.open(s.ws);
    expect((await again.query('prices.current')).t).toBe('result');
    await again.close();
  });
});
