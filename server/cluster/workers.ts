// The supervisor's worker processes: start them on one port, replace one that dies (at once the first time,
// then with exponential backoff while replacements keep dying) or stops answering its heartbeat, replace them one
// by one on request (each new one listening before the old one drains, so the port always answers), and drain
// them all on shutdown.
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.ts';
import type { FromWorker, ToWorker, WorkerInit } from './messages.ts';

const ENTRY = new URL('./worker.ts', import.meta.url).pathname;
/** A worker that lived this long before dying is not a crash loop: its replacement starts at once. */
const HEALTHY_AFTER_MS = 30_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A worker not listening this long after its start has failed. */
const START_TIMEOUT_MS = 60_000;
/**
 * Heartbeat: every serving worker is pinged this often over its IPC channel and answers from its event loop. A
 * worker whose loop is stuck (a busy loop, a stopped process) keeps its listen socket, so the kernel keeps handing it
 * connections that are never answered, and it never exits: only silence shows it.
 */
const PING_EVERY_MS = 1000;
/**
 * Pings in a row a serving worker may leave unanswered (~8 s of silence) before it is killed (SIGKILL) and replaced
 * like a crashed one. Counted in pings the supervisor actually sent, so a supervisor that was itself stalled does
 * not take its own delay for the workers' silence.
 */
const MISSED_PINGS_LIMIT = 8;

export type WorkerState = 'booting' | 'ready' | 'draining' | 'exited';

export class Worker {
  state: WorkerState = 'booting';
  /** Sessions it reported last. */
  sessions = 0;
  /** Heartbeat pings sent since its last answer. */
  missed = 0;
  readonly startedAt = Date.now();
  readonly ready: Promise<number>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly id: number,
    readonly seat: number,
    readonly proc: ChildProcess,
    /** In a rolling restart: the worker this one takes over from (it keeps serving until this one listens). */
    readonly replaces?: Worker,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${seat} did not listen within ${START_TIMEOUT_MS / 1000} s`)),
        START_TIMEOUT_MS,
      );
      timer.unref();
      proc.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          clearTimeout(timer);
          resolve(m.port);
        } else if (m.t === 'failed') reject(new Error(`worker ${seat} could not start: ${m.message}`));
      });
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`worker ${seat} exited (${signal ?? code}) before listening`)),
      );
    });
    this.ready.catch(() => undefined);
  }

  /** False when the worker is gone (its channel closed). */
  send(msg: ToWorker): boolean {
    if (!this.proc.connected) return false;
    try {
      return this.proc.send(msg);
    } catch {
      return false;
    }
  }
}

export interface WorkerSetOptions {
  seats: number;
  log: Logger;
  /** The init message for a worker taking `seat` (its port, shares, the current data state). */
  init(seat: number): WorkerInit;
  onMessage(w: Worker, msg: FromWorker): void;
  /** After a worker's process exited (its sessions are gone). */
  onExit(w: Worker): void;
  /** Command-line flags the workers read their config from (the supervisor's own). */
  argv: string[];
}

export class WorkerSet {
  private readonly all = new Set<Worker>();
  private readonly failures = new Map<number, number>();
  private nextId = 1;
  private stopping = false;
  private restarting: Promise<number> | undefined;
  private readonly respawns = new Set<NodeJS.Timeout>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly o: WorkerSetOptions) {
    this.heartbeat = setInterval(() => this.beat(), PING_EVERY_MS);
    this.heartbeat.unref();
  }

  /** Workers serving now. */
  get ready(): Worker[] {
    return [...this.all].filter((w) => w.state === 'ready');
  }

  /** Starts every seat; resolves once all listen. Throws if any fails. */
  async start(): Promise<void> {
    try {
      await Promise.all(Array.from({ length: this.o.seats }, (_, seat) => this.spawn(seat).ready));
    } catch (err) {
      // A worker that cannot start at boot (port taken, bad build) will not start when retried either.
      this.stopping = true;
      clearInterval(this.heartbeat);
      for (const w of this.all) w.proc.kill('SIGKILL');
      throw err;
    }
  }

  /**
   * Sends to every worker serving or starting (a starting one applies it once it listens); returns the serving ones
   * reached.
   */
  broadcast(msg: ToWorker): Worker[] {
    const reached: Worker[] = [];
    for (const w of this.all)
      if ((w.state === 'ready' || w.state === 'booting') && w.send(msg) && w.state === 'ready') reached.push(w);
    return reached;
  }

  /**
   * Replaces every worker, one seat at a time: the successor listens (SO_REUSEPORT) before its predecessor drains.
   * Resolves with how many were replaced; a second call while one runs joins it.
   */
  rollingRestart(drainTimeoutMs: number): Promise<number> {
    this.restarting ??= (async () => {
      let replaced = 0;
      try {
        for (const old of this.ready.sort((a, b) => a.seat - b.seat)) {
          if (this.stopping) break;
          const next = this.spawn(old.seat, old);
          try {
            await next.ready;
          } catch (err) {
            next.proc.kill('SIGKILL');
            throw err;
          }
          await this.drain(old, drainTimeoutMs);
          replaced++;
        }
      } finally {
        this.restarting = undefined;
      }
      return replaced;
    })();
    return this.restarting;
  }

  /** Asks every worker to drain; kills those still running after `timeoutMs`. True when all left on their own. */
  async drainAll(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const t of this.respawns) clearTimeout(t);
    this.respawns.clear();
    const results = await Promise.all([...this.all].map((w) => this.drain(w, timeoutMs)));
    return results.every(Boolean);
  }

  /** Pings every serving worker; kills one silent for too long (its exit starts the replacement, with backoff). */
  private beat(): void {
    for (const w of this.ready) {
      if (w.missed >= MISSED_PINGS_LIMIT) {
        const silentS = w.missed * (PING_EVERY_MS / 1000);
        this.o.log.error(
          { worker: w.seat, workerPid: w.proc.pid, silentS },
          'worker stopped answering its heartbeat; killing it',
        );
        w.proc.kill('SIGKILL');
        continue;
      }
      w.missed++;
      w.send({ t: 'ping' });
    }
  }

  private async drain(w: Worker, timeoutMs: number): Promise<boolean> {
    if (w.state === 'exited') return true;
    w.state = 'draining';
    w.send({ t: 'drain' });
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      w.exited.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      this.o.log.warn({ worker: w.seat, workerPid: w.proc.pid }, 'worker did not drain in time; killing it');
      w.proc.kill('SIGKILL');
      await w.exited;
    }
    return inTime;
  }

  private spawn(seat: number, replaces?: Worker): Worker {
    const proc = fork(ENTRY, this.o.argv, {
      // The tsx loader flags, so the worker runs the same TypeScript sources.
      execArgv: process.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // No DuckDB in a worker: the default libuv pool is plenty.
      env: { ...process.env, UV_THREADPOOL_SIZE: '4' },
    });
    const w = new Worker(this.nextId++, seat, proc, replaces);
    this.all.add(w);
    proc.on('message', (m: FromWorker) => {
      if (m.t === 'pong') {
        w.missed = 0;
        return;
      }
      if (m.t === 'ready') {
        if (w.state === 'booting') w.state = 'ready';
      } else if (m.t === 'load') w.sessions = m.sessions;
      this.o.onMessage(w, m);
    });
    proc.on('error', (err) => this.o.log.error({ err, worker: seat }, 'worker process error'));
    void w.exited.then(({ code, signal }) => this.exited(w, code, signal));
    w.send(this.o.init(seat));
    return w;
  }

  private exited(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const wasServing = w.state === 'ready' || w.state === 'booting';
    // A successor that never listened leaves its predecessor serving: nothing to replace.
    const failedSuccessor = w.state === 'booting' && w.replaces !== undefined && w.replaces.state !== 'exited';
    w.state = 'exited';
    this.all.delete(w);
    this.o.onExit(w);
    if (!wasServing || failedSuccessor || this.stopping) return;
    const lived = Date.now() - w.startedAt;
    const k = lived >= HEALTHY_AFTER_MS ? 0 : (this.failures.get(w.seat) ?? 0);
    this.failures.set(w.seat, k + 1);
    const delay = k === 0 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (k - 1));
    this.o.log.error(
      { worker: w.seat, workerPid: w.proc.pid, code, signal, livedS: Math.round(lived / 1000), restartInMs: delay },
      'worker died; starting a replacement',
    );
    const timer = setTimeout(() => {
      this.respawns.delete(timer);
      if (this.stopping) return;
      const next = this.spawn(w.seat);
      next.ready.then(
        () => this.o.log.info({ worker: w.seat, workerPid: next.proc.pid }, 'worker replaced'),
        (err: unknown) => {
          this.o.log.error({ err: (err as Error).message, worker: w.seat }, 'replacement worker failed');
          // One that never listened (stuck in its start) would hold the seat forever: its exit retries, with backoff.
          next.proc.kill('SIGKILL');
        },
      );
    }, delay);
    this.respawns.add(timer);
  }
}
