// The server tests' harness: a small real store (the catalogue's synthetic three days, real rollups) in a temp
// dir, the real app on a loopback port, and a `ws` client that reads frames in order and waits for the ones it wants.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import WebSocket from 'ws';
import { startApp, type AppHandle, type AppOptions } from '../../server/app.ts';
import { fill, rawRows } from '../util/synthetic-data.ts';
import { loadConfig, type Config } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { openStore } from '../../server/store/db.ts';
import { refreshRollups } from '../../server/store/rollups.ts';
import { decode, encode } from '../../shared/protocol.ts';
import { parseMetrics } from '../../soak/server-probe.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read frames' fields without narrowing each
export type Frame = Record<string, any>;

export interface StoreDir {
  dir: string;
  dataDir: string;
  cacheDir: string;
  /** Deletes the dir. */
  remove(): void;
}

/** A temp dir with a store under data/, filled by `load` (default: the catalogue's synthetic three days). */
export async function makeStoreDir(
  prefix = 'nemlive-srv-',
  load: (conn: DuckDBConnection) => Promise<void> = (conn) => fill(conn, rawRows()),
): Promise<StoreDir> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(dir, 'data');
  const { instance } = await openStore({ dataDir, threads: 1 });
  const conn = await instance.connect();
  try {
    await load(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return { dir, dataDir, cacheDir: join(dir, 'cache'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServer extends AppHandle {
  config: Readonly<Config>;
  /** Closes the app and deletes its files. */
  stop(): Promise<void>;
}

/** A test app's config over `store`: a free loopback port, small caches, one DuckDB thread, no warmup, feed or log. */
export function testConfig(
  store: { dataDir: string; cacheDir: string },
  env: Record<string, string> = {},
): Readonly<Config> {
  return loadConfig([], {
    DATA_DIR: store.dataDir,
    CACHE_DIR: store.cacheDir,
    PORT: '0',
    HOST: '127.0.0.1',
    WARM: '0',
    LIVE: 'off',
    DUCKDB_THREADS: '1',
    LRU_MB: '16',
    LMDB_MB: '64',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** The real app on a free loopback port, over a fresh store; `env` overrides config variables. */
export async function startTestServer(opts: { env?: Record<string, string> } & AppOptions = {}): Promise<TestServer> {
  const store = await makeStoreDir();
  const config = testConfig(store, opts.env);
  const { env: _env, ...appOpts } = opts;
  const app = await startApp(config, { log: createLogger(config.logLevel), ...appOpts });
  return {
    ...app,
    config,
    async stop() {
      await app.close();
      store.remove();
    },
  };
}

/**
 * Stores the next interval's prices (SA1 and NSW1, the only regions given) and refreshes the rollups around it,
 * without advancing the market; returns the interval's end.
 */
export async function storeInterval(server: AppHandle, rrp: { SA1: number; NSW1: number }): Promise<number> {
  const next = server.market.watermark + 300;
  const conn = await server.instance.connect();
  try {
    await conn.run(`INSERT INTO price VALUES (${next}, 'SA1', ${rrp.SA1}, 1500), (${next}, 'NSW1', ${rrp.NSW1}, 8000)`);
    await refreshRollups(conn, next - 1800, next + 1800);
  } finally {
    conn.closeSync();
  }
  return next;
}

/** storeInterval, then the market advances to it as the live feed would; returns the new watermark. */
export async function addInterval(server: AppHandle, rrp: { SA1: number; NSW1: number }): Promise<number> {
  const next = await storeInterval(server, rrp);
  server.market.advance(next);
  return next;
}

export interface Closed {
  code: number;
  reason: string;
}

/** A `ws` client that queues decoded frames; `next` takes the first queued (or future) frame matching a test. */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  hello!: Frame;
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('error', () => undefined); // an abrupt close is reported through `closed`
    ws.on('message', (data: Buffer) => {
      const frame = decode(data) as Frame;
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(frame);
      else this.frames.push(frame);
    });
  }

  /** Connects and waits for the hello frame. */
  static async open(url: string, opts?: WebSocket.ClientOptions): Promise<TestClient> {
    const client = new TestClient(new WebSocket(url, opts));
    client.hello = await client.next((f) => f.t === 'hello' || f.t === 'error');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(frame instanceof Uint8Array ? frame : encode(frame));
  }

  next(match: (f: Frame) => boolean, timeoutMs = 20_000): Promise<Frame> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `no matching frame within ${timeoutMs} ms; queued: ${JSON.stringify(this.frames.slice(-5)).slice(0, 400)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a query (or sub) and waits for the result or error carrying its id. */
  async request(
    t: 'query' | 'sub',
    kind: string,
    params?: unknown,
    id: string | number = this.nextId++,
  ): Promise<Frame> {
    this.send({ t, id, kind, params });
    return this.next((f) => f.id === id && (f.t === 'result' || f.t === 'error'));
  }

  query(kind: string, params?: unknown): Promise<Frame> {
    return this.request('query', kind, params);
  }

  async close(): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** The HTTP status an upgrade attempt is refused with, or 101 when it opens. */
export function upgradeStatus(url: string, opts: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => undefined);
  });
}

export async function healthz(base: string): Promise<{
  status: string;
  sessions: number;
  duckdbConnections: number;
  watermark: string;
  sources: Record<string, { asOf: string | null; lagS: number | null; late: boolean }>;
}> {
  const res = await fetch(`${base}/healthz`);
  return (await res.json()) as never;
}

/** One sample of the Prometheus text, e.g. metric(text, 'nemlive_sessions') or with a label set. */
export function metric(text: string, name: string, labels = ''): number {
  return parseMetrics(text).get(labels ? `${name}{${labels}}` : name) ?? NaN;
}
