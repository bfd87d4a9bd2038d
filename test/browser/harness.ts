// The server the browser tests drive: the real app (server/app.ts) in this process, started on an empty temp
// DATA_DIR so it builds its own two-day demo (the `npm start` first-run path), serving the real client build. The page
// reaches it through a plain TCP relay on a fixed
// loopback port, so the app can be stopped and started again (on a fresh port) while the page's address stays the
// same: here a port with a closed connection in TIME_WAIT cannot be bound again for a minute, even with SO_REUSEADDR.
import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureClientBuilt } from '../../client/build.ts';
import { startApp, type AppHandle } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import type { DemoFeed } from '../../server/live/demo.ts';
import { createLogger } from '../../server/log.ts';

export const DEMO_DAYS = 2;

export interface TestServer {
  base: string;
  port: number;
  app: AppHandle;
  /** Appends one demo interval now; the app pushes it to subscribers (live servers only). */
  nudge(): Promise<void>;
  /** Graceful stop: sockets close with 1001, as in a deploy. The store stays for restart(). */
  stop(): Promise<void>;
  /** Starts the app again over the same store, reachable at the same address. */
  restart(): Promise<void>;
  /** Stops if running and deletes the temp store. */
  remove(): Promise<void>;
}

/** `live`: a demo feed that only steps when nudged (its timer is an hour), so tests choose when data arrives. */
export async function startServer(opts: { live?: boolean } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'nemlive-browser-'));
  const dataDir = join(dir, 'data');
  await ensureClientBuilt();
  const config = (port: number) =>
    loadConfig([], {
      DATA_DIR: dataDir,
      DEMO_DAYS: String(DEMO_DAYS),
      DEMO_END: '2026-11-01T00:00+10:00', // pinned: the same data (and screenshots) on every run
      CACHE_DIR: join(dir, 'cache'),
      HOST: '127.0.0.1',
      PORT: String(port),
      WARM: '0',
      DUCKDB_THREADS: '1',
      LRU_MB: '32',
      LMDB_MB: '64',
      LIVE: opts.live ? 'demo' : 'off',
      REPLAY_SECONDS: '3600',
    });
  const log = createLogger('warn');
  let app: AppHandle | null = await startApp(config(0), { log });
  const relay = await startRelay(() => app?.port ?? null);
  const server: TestServer = {
    base: `http://127.0.0.1:${relay.port}`,
    port: relay.port,
    get app() {
      if (!app) throw new Error('the server is stopped');
      return app;
    },
    async nudge() {
      const feed = app?.live?.feed as DemoFeed | undefined;
      if (!feed?.step) throw new Error('nudge needs a running server started with { live: true }');
      await feed.step();
    },
    async stop() {
      const running = app;
      app = null;
      await running?.close();
    },
    async restart() {
      if (app) throw new Error('restart() while running');
      app = await startApp(config(0), { log });
    },
    async remove() {
      await server.stop();
      await relay.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Pipes each connection to the app's current port; while the app is down, connections are refused with a reset. */
async function startRelay(target: () => number | null): Promise<{ port: number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const relay = createServer((client) => {
    const port = target();
    if (port === null) return void client.resetAndDestroy();
    const upstream = connect(port, '127.0.0.1');
    open.add(client);
    const done = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', done).on('close', done);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as { port: number }).port,
    close: () => {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
