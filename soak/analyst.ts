// One simulated analyst on a raw `ws` socket: follows its seeded script (script.ts), keeps one tab subscription
// open like the browser does, and records every round trip, push and error into the process's shared Stats.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { applyDelta, type Delta } from '../shared/delta.ts';
import { once } from '../shared/once.ts';
import { decode, encode, splitFrame, type ClientFrame, type ServerFrame } from '../shared/protocol.ts';
import { Histogram } from './histogram.ts';
import { tabParams, type Action, type View } from './script.ts';

export interface Stats {
  requests: number;
  pushes: number;
  reconnects: number;
  connects: number;
  open: number;
  bytesIn: number;
  cache: { lru: number; lmdb: number; db: number };
  /**
   * Each question this process had answered, by kind and params: when it first asked it (epoch ms) and whether that
   * answer came from DuckDB. Merged over processes, it tells cold first asks (a cache cannot have them) from misses.
   */
  firstAsks: Map<string, { at: number; db: boolean }>;
  errors: Record<string, number>;
  /** The first few distinct error messages, to say what went wrong without flooding the report. */
  errorSamples: string[];
  latency: Histogram;
  /** The same latencies split by where the answer came from, to tell a slow cache from a slow cold query. */
  latencyByTier: { lru: Histogram; lmdb: Histogram; db: Histogram };
}

export function newStats(): Stats {
  return {
    requests: 0,
    pushes: 0,
    reconnects: 0,
    connects: 0,
    open: 0,
    bytesIn: 0,
    cache: { lru: 0, lmdb: 0, db: 0 },
    firstAsks: new Map(),
    errors: {},
    errorSamples: [],
    latency: new Histogram(),
    latencyByTier: { lru: new Histogram(), lmdb: new Histogram(), db: new Histogram() },
  };
}

function recordError(stats: Stats, code: string, message: string): void {
  stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  const line = `${code}: ${message}`.slice(0, 200);
  if (stats.errorSamples.length < 10 && !stats.errorSamples.includes(line)) stats.errorSamples.push(line);
}

const REQUEST_TIMEOUT_MS = 15_000;
const HELLO_TIMEOUT_MS = 10_000;

class RequestFailed extends Error {}

/** A result as it arrived: its head decoded, its data only when asked for (most answers are only timed). */
interface Arrived {
  frame: ServerFrame;
  data: () => unknown;
}

/** Decodes `bytes` on the first call only: a process of 500 analysts decoding every 100 KB answer measures itself. */
const lazy = (bytes: Uint8Array | undefined, decoded?: unknown): (() => unknown) =>
  once(() => (bytes === undefined ? decoded : decode(bytes)));

interface Pending {
  t0: number;
  /** The question (kind and params) and when it was sent, epoch ms. */
  question: string;
  sentAt: number;
  resolve: (arrived: Arrived) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Analyst {
  private ws: WebSocket | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private subId = 0;
  private view: View | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private closingOnPurpose = false;
  private connecting: Promise<void> | null = null;
  private late = new Set<number>();
  /** The tab answer held, as the dashboard holds it, to apply push deltas to (absent with fullPushes). */
  private held: { id: number; watermark: string; data?: () => unknown } | null = null;

  constructor(
    private readonly url: string,
    private readonly script: Iterator<Action>,
    private readonly stats: Stats,
    /** Subscribe without deltas (every push the whole answer): the soak's baseline before the dashboard's deltas. */
    private readonly fullPushes = false,
    /**
     * Apply each delta to the answer held, as the dashboard does; otherwise only check that it applies to the
     * watermark held. Every push reaches all analysts at once, and 500 of them decoding and patching a 60 KB answer
     * in one process hold its event loop for a quarter of a second: the soak then measures itself.
     */
    private readonly appliesDeltas = true,
  ) {}

  /** Runs the script until stop(); resolves once the socket is closed. */
  async run(): Promise<void> {
    try {
      await this.connect();
      while (!this.stopped) {
        const action = this.script.next().value as Action;
        await this.perform(action).catch((err: Error) => {
          // Already counted where it happened; a failed step does not end the analyst's session.
          if (!(err instanceof RequestFailed)) recordError(this.stats, 'client', err.message);
        });
      }
    } finally {
      await this.disconnect();
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async perform(action: Action): Promise<void> {
    switch (action.type) {
      case 'open':
      case 'switchTab':
      case 'changeRegion':
      case 'changeRange':
        return this.show(action.view);
      case 'search': {
        const found = await this.request({
          t: 'query',
          id: this.nextId++,
          kind: 'stations.search',
          params: { q: action.q },
        });
        const rows = (found.data() as { rows?: { duid: string }[] }).rows ?? [];
        if (rows.length === 0 || this.stopped) return;
        const duid = rows[action.pick % rows.length].duid;
        await this.request({
          t: 'query',
          id: this.nextId++,
          kind: 'station.output',
          params: { duid, range: action.range },
        });
        return;
      }
      case 'peek':
        await this.request({
          t: 'query',
          id: this.nextId++,
          kind: action.kind,
          params: action.kind === 'generation.mix' ? { region: action.region } : {},
        });
        return;
      case 'idle':
        return this.sleep(action.ms);
      case 'reconnect':
        await this.disconnect();
        await this.sleep(action.pauseMs);
        if (this.stopped) return;
        this.stats.reconnects++;
        await this.connect();
        return;
    }
  }

  /** Moves the one tab subscription to `view`, as the dashboard does on every navigation. */
  private async show(view: View): Promise<void> {
    this.view = view;
    if (this.subId) this.send({ t: 'unsub', id: this.subId });
    this.subId = this.nextId++;
    this.held = null;
    const frame = { t: 'sub', id: this.subId, kind: view.tab, params: tabParams(view) } as const;
    // As the dashboard subscribes (client/sdk/subscription.ts): with deltas, holding the answer to apply them to.
    await this.request(this.fullPushes ? frame : { ...frame, delta: true });
  }

  /** One reconnect at a time, whether the script or an unexpected close asked for it. */
  private connect(): Promise<void> {
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.open();
        if (this.view) await this.show(this.view);
        return;
      } catch (err) {
        if (err instanceof RequestFailed || this.stopped) return; // a handshake cut short by stop() is not a failure
        recordError(this.stats, 'connect_failed', (err as Error).message);
        await this.sleep(Math.min(5000, 250 * 2 ** attempt));
      }
    }
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false, handshakeTimeout: HELLO_TIMEOUT_MS });
      this.ws = ws;
      this.closingOnPurpose = false;
      this.subId = 0;
      let hello = false;
      let opened = false;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no hello within 10 s'));
      }, HELLO_TIMEOUT_MS);
      ws.on('open', () => {
        opened = true;
        this.stats.connects++;
        this.stats.open++;
      });
      ws.on('message', (buf: Buffer) => {
        this.stats.bytesIn += buf.length;
        let arrived: Arrived;
        try {
          const { head, data } = splitFrame(buf);
          arrived = { frame: head as unknown as ServerFrame, data: lazy(data, (head as { data?: unknown }).data) };
        } catch (err) {
          recordError(this.stats, 'client_decode', (err as Error).message);
          return;
        }
        if (arrived.frame.t === 'hello' && !hello) {
          hello = true;
          clearTimeout(timer);
          resolve();
          return;
        }
        this.onFrame(arrived);
      });
      ws.on('error', (err) => {
        if (!hello) {
          clearTimeout(timer);
          reject(err);
        }
      });
      ws.on('close', (code, reason) => {
        clearTimeout(timer);
        if (opened) this.stats.open--;
        if (ws !== this.ws) return;
        this.failPending(`socket closed (${code})`);
        if (!hello) reject(new Error(`closed before hello (${code} ${reason.toString()})`));
        else if (!this.closingOnPurpose) {
          recordError(this.stats, 'socket_closed', `server closed the socket: ${code} ${reason.toString()}`);
          if (!this.stopped) void this.connect();
        }
      });
    });
  }

  private onFrame(arrived: Arrived): void {
    const { frame, data } = arrived;
    if (frame.t === 'push') {
      this.stats.pushes++;
      if (!('delta' in frame)) {
        if (this.held?.id === frame.id) this.held = { id: frame.id, watermark: frame.meta.watermark, data };
        return;
      }
      this.applyPush(frame.id as number, frame.base, frame.delta, frame.meta.watermark);
      return;
    }
    // Held as the frame arrives, not when the request's promise resumes: a push can follow in the same socket read.
    if (frame.t === 'result' && !this.fullPushes && frame.id === this.subId)
      this.held = { id: this.subId, watermark: frame.meta.watermark, data };
    if (frame.t === 'result' || frame.t === 'error') {
      const p = frame.id === undefined ? undefined : this.pending.get(frame.id as number);
      if (frame.t === 'error') recordError(this.stats, frame.code, frame.message);
      if (!p) {
        // An answer after its timeout was already counted once, as the timeout.
        if (frame.t === 'result' && !this.late.delete(frame.id as number))
          recordError(this.stats, 'unexpected_result', `result for unknown id ${String(frame.id)}`);
        return;
      }
      this.pending.delete(frame.id as number);
      clearTimeout(p.timer);
      if (frame.t === 'error') return p.reject(new RequestFailed(frame.message));
      this.stats.requests++;
      const ms = performance.now() - p.t0;
      this.stats.latency.recordMs(ms);
      const tier = frame.meta?.cache;
      if (tier === 'lru' || tier === 'lmdb' || tier === 'db') {
        this.stats.cache[tier]++;
        this.stats.latencyByTier[tier].recordMs(ms);
        if (!this.stats.firstAsks.has(p.question))
          this.stats.firstAsks.set(p.question, { at: p.sentAt, db: tier === 'db' });
      }
      p.resolve(arrived);
      return;
    }
    recordError(this.stats, 'unexpected_frame', `unexpected frame type ${String((frame as { t?: unknown }).t)}`);
  }

  /**
   * A delta push, applied to the answer held. The server tracks what each delta subscription holds, so one that does
   * not fit is its bug: counted as an error, and the whole answer asked for again as the SDK would.
   */
  private applyPush(id: number, base: string, delta: Delta, watermark: string): void {
    const held = this.held;
    if (!held || held.id !== id) return; // a push for a subscription already moved on from, or not yet answered
    try {
      if (held.watermark !== base) throw new Error(`base ${base}, held ${held.watermark}`);
      const data = this.appliesDeltas && held.data ? held.data() : undefined;
      this.held = { id, watermark, data: data === undefined ? undefined : lazy(undefined, applyDelta(data, delta)) };
    } catch (err) {
      recordError(this.stats, 'delta_mismatch', `${this.view?.tab ?? ''}: ${(err as Error).message}`);
      this.held = null;
      if (this.view) void this.show(this.view).catch(() => undefined);
    }
  }

  private request(frame: ClientFrame & { t: 'query' | 'sub' }): Promise<Arrived> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new RequestFailed('not connected'));
    const id = frame.id as number;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.late.add(id);
        recordError(this.stats, 'timeout', `${frame.kind} had no answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
        reject(new RequestFailed('timeout'));
      }, REQUEST_TIMEOUT_MS);
      const question = `${frame.kind} ${JSON.stringify(frame.params ?? {})}`;
      this.pending.set(id, { t0: performance.now(), question, sentAt: Date.now(), resolve, reject, timer });
      this.send(frame);
    });
  }

  private send(frame: ClientFrame): void {
    this.ws?.send(encode(frame));
  }

  private failPending(why: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RequestFailed(why));
    }
    this.pending.clear();
  }

  private async disconnect(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    this.closingOnPurpose = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 5000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000, 'bye');
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
