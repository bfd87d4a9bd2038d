// N replicas of the server on this machine, as production runs them on N hosts: each its own `server/main.ts`
// process (one process, WORKERS=1), its own DATA_DIR and CACHE_DIR, its own fixed loopback port (nginx's upstream
// names it, and a restarted replica comes back on it), all following one NEMWEB-like site with LIVE=nemweb.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../server/port.ts';
import { ROOT } from '../../soak/spawn-server.ts';

const HOST = '127.0.0.1';
/** Lines of output kept per replica, for error messages. */
const TAIL_LINES = 40;

export interface Health {
  status: string;
  sessions: number;
  watermark: string | null;
}

export class Replica {
  readonly dataDir: string;
  readonly cacheDir: string;
  readonly base: string;
  readonly wsUrl: string;
  proc: ChildProcess | undefined;
  /** Resolves with the exit code (128 + n for signal n's death, as a shell says it) of the current process. */
  exited: Promise<number> = Promise.resolve(0);
  private lines: string[] = [];
  /** Called with each line the process prints (its pino JSON lines, at the LOG_LEVEL it runs with). */
  onLine: ((line: string) => void) | undefined;

  constructor(
    readonly index: number,
    readonly port: number,
    dir: string,
    private readonly env: Record<string, string>,
  ) {
    this.dataDir = join(dir, `replica-${index}`, 'data');
    this.cacheDir = join(dir, `replica-${index}`, 'cache');
    mkdirSync(this.dataDir, { recursive: true });
    this.base = `http://${HOST}:${port}`;
    this.wsUrl = `ws://${HOST}:${port}/ws`;
  }

  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  /** Starts the process and resolves once it listens (it prints `NEM Live: <url>`). */
  async start(timeoutMs = 90_000): Promise<void> {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/main.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATA_DIR: this.dataDir,
        CACHE_DIR: this.cacheDir,
        HOST,
        PORT: String(this.port),
        ...this.env,
      },
    });
    this.proc = proc;
    this.lines = [];
    let listening = false;
    const keeper = () => {
      let partial = '';
      return (chunk: Buffer): void => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          this.lines.push(line);
          if (line.startsWith('NEM Live: http')) listening = true;
          this.onLine?.(line);
        }
        if (this.lines.length > TAIL_LINES) this.lines.splice(0, this.lines.length - TAIL_LINES);
      };
    };
    proc.stdout!.on('data', keeper());
    proc.stderr!.on('data', keeper());
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15))),
    );
    const end = Date.now() + timeoutMs;
    while (!listening) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`replica ${this.index} exited while starting:\n${this.tail()}`);
      if (Date.now() > end)
        throw new Error(`replica ${this.index} did not listen within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (the graceful drain) and the exit code. */
  stop(): Promise<number> {
    if (this.pid !== undefined) this.proc!.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL: a host that dies. */
  kill(): Promise<number> {
    if (this.pid !== undefined) this.proc!.kill('SIGKILL');
    return this.exited;
  }

  async health(): Promise<Health> {
    const res = await fetch(`${this.base}/healthz`);
    return (await res.json()) as Health;
  }

  tail(): string {
    return this.lines.join('\n');
  }
}

export interface FleetOptions {
  n: number;
  /** Each replica's data and cache go under it. */
  dir: string;
  /** The site LIVE=nemweb polls. */
  nemwebUrl: string;
  /** Settings on top of the fleet's (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
}

/** The settings every replica runs with: the live feed from the site, polled every second, on a small budget. */
export function replicaEnv(nemwebUrl: string): Record<string, string> {
  return {
    LIVE: 'nemweb',
    NEMWEB_URL: nemwebUrl,
    LIVE_POLL_S: '1',
    // The site's intervals are a day behind the wall clock (feed.ts): not a late source.
    SOURCE_LATE_S: String(7 * 86_400),
    DUCKDB_THREADS: '1',
    LRU_MB: '32',
    LMDB_MB: '64',
    LOG_LEVEL: 'warn',
    MALLOC_ARENA_MAX: '2',
  };
}

/** N replicas, started together; each listens when this resolves. */
export async function startFleet(o: FleetOptions): Promise<Replica[]> {
  const env = { ...replicaEnv(o.nemwebUrl), ...o.env };
  const replicas: Replica[] = [];
  for (let i = 0; i < o.n; i++) replicas.push(new Replica(i, await freePort(HOST), o.dir, env));
  try {
    await Promise.all(replicas.map((r) => r.start()));
  } catch (err) {
    await Promise.all(replicas.map((r) => r.kill()));
    throw err;
  }
  return replicas;
}

/** Polls every replica's /healthz until each shows `watermark` (ISO); rejects after timeoutMs. */
export async function allAt(replicas: readonly Replica[], watermark: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const marks = await Promise.all(
      replicas.map((r) =>
        r.health().then(
          (h) => h.watermark,
          () => null,
        ),
      ),
    );
    if (marks.every((m) => m === watermark)) return;
    if (Date.now() > end) throw new Error(`replicas at ${marks.join(', ')}; waited for ${watermark}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
