// End-to-end harness for the live market: a tiny real demo store (built as `npm start` builds it) in a temp dir, and
// the real app from server/app.ts on a loopback port with a chosen LIVE, restartable on the same store and port.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp, type AppHandle, type AppOptions } from '../../server/app.ts';
import type { Config } from '../../server/config.ts';
import type { DemoFeed } from '../../server/live/demo.ts';
import { captureLog, type LogLine } from '../util/capture-log.ts';
import { demoDirs } from '../production/child.ts';
import { makeStoreDir, testConfig, type StoreDir } from '../server/harness.ts';
import { until } from '../util/wait.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(HERE, '../fixtures/aemo');

export type { StoreDir };

/** A temp dir with a store under data/: a `days`-day demo, or only the schema when days is 0. */
export function storeDir(days: number): Promise<StoreDir> {
  return days === 0 ? makeStoreDir('nemlive-live-', async () => undefined) : demoDirs(days, 'nemlive-live-');
}

export interface LiveServer extends AppHandle {
  config: Readonly<Config>;
  lines: LogLine[];
  /** The demo feed, to append an interval on demand (LIVE=demo). */
  demo(): DemoFeed;
}

/** The real app over `store`; `env` sets config variables (LIVE, REPLAY_SECONDS, PORT …). */
export async function startLiveServer(
  store: StoreDir,
  env: Record<string, string>,
  opts: AppOptions = {},
): Promise<LiveServer> {
  const config = testConfig(store, env);
  const { log, lines } = captureLog();
  const app = await startApp(config, { log, ...opts });
  return {
    ...app,
    config,
    lines,
    demo: () => {
      if (app.live?.feed.name !== 'demo') throw new Error(`no demo feed running (LIVE=${config.live})`);
      return app.live.feed as DemoFeed;
    },
  };
}

export interface ChildServer {
  wsUrl: string;
  base: string;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
}

/** `npm start` as its own process over `store` (a real restart is a new process), on a free port. */
export async function spawnLiveServer(store: StoreDir, env: Record<string, string>): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, '../../server/main.ts')], {
    cwd: join(HERE, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATA_DIR: store.dataDir,
      CACHE_DIR: store.cacheDir,
      HOST: '127.0.0.1',
      PORT: '0',
      WARM: '0',
      DUCKDB_THREADS: '1',
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  // main.ts prints "NEM Live: http://127.0.0.1:PORT" once listening.
  await until(
    () => /NEM Live: http:\/\/\S+:\d+/.test(output) || exitCode !== undefined,
    'the server to listen',
    60_000,
  );
  if (exitCode !== undefined) throw new Error(`server exited with ${exitCode}:\n${output.slice(-2000)}`);
  const actual = Number(/NEM Live: http:\/\/\S+:(\d+)/.exec(output)![1]);
  return {
    wsUrl: `ws://127.0.0.1:${actual}/ws`,
    base: `http://127.0.0.1:${actual}`,
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
