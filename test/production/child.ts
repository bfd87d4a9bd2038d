// `npm start` as a child process for the production tests, over a demo store built once per test file and copied
// per server, with helpers to read its URL, its workers' pids and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { ensureStore } from '../../server/store/ensure-store.ts';
import { waitFor } from '../util/wait.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Servers still running: a test that fails before stopping its server must not leave it behind (it did, for hours). */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const proc of running) proc.kill('SIGKILL');
});

export interface Dirs {
  dir: string;
  dataDir: string;
  cacheDir: string;
  remove(): void;
}

/** A temp dir holding a `days`-day demo store (data/) and room for a cache (cache/). */
export async function demoDirs(days = 2, prefix = 'nemlive-prod-'): Promise<Dirs> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(dir, 'data');
  const store = await ensureStore(
    { dataDir, demoDays: days, threads: 1, memoryLimit: '1GB' },
    { info: () => undefined },
  );
  store.instance.closeSync();
  return { dir, dataDir, cacheDir: join(dir, 'cache'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of `from`'s store in a new temp dir (its own cache). */
export function copyDirs(from: Dirs, prefix = 'nemlive-prod-'): Dirs {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(from.dataDir, join(dir, 'data'), { recursive: true });
  return {
    dir,
    dataDir: join(dir, 'data'),
    cacheDir: join(dir, 'cache'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Child {
  proc: ChildProcess;
  out(): string;
  exit: Promise<{ code: number | null; signal: string | null }>;
  /** Resolves with the URL once it printed `NEM Live: <url>`. */
  listening(timeoutMs?: number): Promise<string>;
  /** Pids of the worker processes it started (from their "worker listening" lines). */
  workerPids(): number[];
}

/** `openFiles`: the server's open-files limit (soft and hard), set with prlimit before it starts. */
export function startServer(
  dirs: Pick<Dirs, 'dataDir' | 'cacheDir'>,
  env: Record<string, string> = {},
  opts: { openFiles?: number } = {},
): Child {
  const node = [process.execPath, '--import', 'tsx', join(ROOT, 'server/main.ts')];
  const argv = opts.openFiles === undefined ? node : ['prlimit', `--nofile=${opts.openFiles}`, ...node];
  const proc = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dirs.dataDir,
      CACHE_DIR: dirs.cacheDir,
      PORT: '0',
      WARM: '0',
      LIVE: 'off',
      DUCKDB_THREADS: '1',
      LRU_MB: '32',
      LMDB_MB: '64',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  proc.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  running.add(proc);
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    }),
  );
  return {
    proc,
    out: () => text,
    exit,
    async listening(timeoutMs = 60_000) {
      const url = await waitFor(
        () => /NEM Live: (http:\/\/\S+)/.exec(text)?.[1] ?? (proc.exitCode !== null ? 'exited' : undefined),
        (u) => u !== undefined,
        timeoutMs,
      );
      if (url === 'exited') throw new Error(`server exited before listening:\n${text.slice(-2000)}`);
      return url!;
    },
    workerPids: () =>
      [...text.matchAll(/"pid":(\d+),"worker":\d+,[^\n]*"msg":"worker listening"/g)].map((m) => Number(m[1])),
  };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
