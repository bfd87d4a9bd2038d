// Starts this project's server (server/main.ts) as a child process on a free loopback port with its own
// DATA_DIR and CACHE_DIR, for CI soaks and benchmarks; stop() ends it with SIGTERM and waits.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../server/port.ts';
import { metricSum, parseMetrics, waitForServer } from './server-probe.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface SpawnOptions {
  dataDir: string;
  cacheDir: string;
  /** Days of demo data to build into an empty dataDir. */
  demoDays: number;
  /** Seconds between demo-replay intervals, so pushes happen during a short run; 0 turns the live feed off. */
  replaySeconds: number;
  warm?: boolean;
  logLevel?: string;
  /** Time to wait for /healthz (building a demo takes a while). */
  readyTimeoutMs?: number;
  env?: Record<string, string>;
  /** Entry script relative to the repo root. */
  entry?: string;
  extraArgs?: string[];
}

export interface SpawnedServer {
  url: string;
  base: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** The last lines the server printed, for error messages. */
  tail(): string;
  stop(): Promise<number | null>;
}

export async function spawnServer(opts: SpawnOptions): Promise<SpawnedServer> {
  const port = await freePort('127.0.0.1');
  const args = [
    '--import',
    'tsx',
    join(ROOT, opts.entry ?? 'server/main.ts'),
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATA_DIR: opts.dataDir,
      CACHE_DIR: opts.cacheDir,
      DEMO_DAYS: String(opts.demoDays),
      LIVE: opts.replaySeconds > 0 ? 'demo' : 'off',
      REPLAY_SECONDS: String(Math.max(1, opts.replaySeconds)),
      WARM: opts.warm === false ? '0' : '1',
      LOG_LEVEL: opts.logLevel ?? 'warn',
      // As `npm start` and the systemd unit run it (docs/deploy.md): fewer malloc arenas, measured ~5 MB less RSS.
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      ...opts.env,
    },
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve((exited = code ?? (signal ? 128 : null)))),
  );
  const base = `http://127.0.0.1:${port}`;
  const server: SpawnedServer = {
    url: `ws://127.0.0.1:${port}/ws`,
    base,
    port,
    pid: child.pid!,
    child,
    tail: () => lines.join('\n'),
    async stop() {
      if (exited !== undefined) return exited;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exit;
      clearTimeout(killer);
      return code;
    },
  };
  try {
    await waitForServer(base, opts.readyTimeoutMs ?? 600_000, () => exited === undefined);
    if (opts.warm !== false) await waitForWarmup(base, opts.readyTimeoutMs ?? 600_000, () => exited === undefined);
  } catch (err) {
    await server.stop();
    throw new Error(`${(err as Error).message}\n--- server output ---\n${server.tail()}`, { cause: err });
  }
  return server;
}

/**
 * The server listens before its boot warmup ends (server/main.ts): with WARM on, wait until /metrics shows it done,
 * so a run starts warm. Gives up quietly when it cannot tell (no /metrics access, or no warmup within 10 s).
 */
export async function waitForWarmup(base: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const started = Date.now();
  while (alive() && Date.now() - started < timeoutMs) {
    const res = await fetch(`${base}/metrics`).catch(() => undefined);
    if (!res?.ok) return;
    const metrics = parseMetrics(await res.text());
    const gauge = (state: string) => metricSum(metrics, 'nemlive_warmup_queries', `state="${state}"`) ?? 0;
    const total = gauge('total');
    if (total > 0 && gauge('done') >= total && gauge('running') === 0) return;
    if (total === 0 && Date.now() - started > 10_000) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
