// Clients of a replicated deployment, through the SDK (client/sdk), for the replicas tests and benchmark: subscribers
// that record every interval they were shown, analysts that ask questions in a loop, and an audit of what each
// subscriber saw against what the source published.
import WebSocket from 'ws';
import { NemClient, type StateChange } from '../../client/sdk/client.ts';
import type { SocketConstructor } from '../../client/sdk/types.ts';
import { decode, type SubFrame } from '../../shared/protocol.ts';
import type { Kind } from '../../shared/kinds.ts';

/** The SDK's reconnect backoff for these clients: the default's shape, started sooner. */
const BACKOFF = { initialMs: 100, maxMs: 2000 };

/** What went over one client's sockets: the subscriptions it sent and when each one's answer came. */
export interface Wire {
  subs: { at: number; frame: SubFrame }[];
  /** Arrival (performance.now()) of each `result` frame, by request id. */
  results: { at: number; id: number }[];
}

/** `ws` that also records, for the tests, the sub frames the SDK sends and the results it gets. */
function wiredSocket(wire: Wire): SocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data: Buffer) => {
        const f = decode(data) as { t: string; id?: number };
        if (f.t === 'result' && f.id !== undefined) wire.results.push({ at: performance.now(), id: f.id });
      });
    }
    override send(data: Uint8Array): void {
      const f = decode(data) as SubFrame;
      if (f.t === 'sub') wire.subs.push({ at: performance.now(), frame: f });
      super.send(data);
    }
  } as unknown as SocketConstructor;
}

const isoToS = (iso: string) => Date.parse(iso) / 1000;

/** A client's connection states over time (performance.now()), to tell which sockets a failure dropped. */
class StateLog {
  readonly states: (StateChange & { at: number })[] = [];

  constructor(client: NemClient) {
    client.onState((s) => this.states.push({ ...s, at: performance.now() }));
  }

  /** Whether the socket dropped after `t`. */
  droppedAfter(t: number): boolean {
    return this.states.some((s) => s.at >= t && s.state === 'reconnecting');
  }

  /** When a socket opened (hello received) after `t`, if one did. */
  openedAfter(t: number): number | undefined {
    return this.states.find((s) => s.at >= t && s.state === 'open')?.at;
  }
}

/**
 * One SDK client with two subscriptions: prices.current (one interval per update: its watermarks must only go up,
 * each interval once) and a day of NSW1's 5-minute prices (every interval the subscriber was shown is in its union).
 */
export class Subscriber {
  readonly client: NemClient;
  readonly wire: Wire = { subs: [], results: [] };
  /** Watermarks (epoch s) of the prices.current updates delivered, in order. */
  readonly current: number[] = [];
  /** Watermarks (epoch s) of the history updates delivered, in order. */
  readonly history: number[] = [];
  /** Every interval end in any history update delivered. */
  readonly shown = new Set<number>();
  readonly log: StateLog;
  readonly ids: number[];

  constructor(url: string) {
    this.client = new NemClient({ url, WebSocket: wiredSocket(this.wire), backoff: BACKOFF });
    this.log = new StateLog(this.client);
    const a = this.client.sub('prices.current', {}, { onUpdate: (u) => this.current.push(isoToS(u.meta.watermark)) });
    const b = this.client.sub(
      'prices.history',
      { regions: ['NSW1'], range: '24h', resolution: '5m' },
      {
        onUpdate: (u) => {
          this.history.push(isoToS(u.meta.watermark));
          for (const t of u.data.time) this.shown.add(t);
        },
      },
    );
    this.ids = [a.id, b.id];
  }

  get ready(): boolean {
    return this.current.length > 0 && this.history.length > 0;
  }

  /**
   * When every subscription was answered again on a socket opened after `t`, or undefined if not yet: the moment this
   * client was back in full.
   */
  resubscribedAfter(t: number): number | undefined {
    const opened = this.log.openedAfter(t);
    if (opened === undefined) return undefined;
    let last = 0;
    for (const id of this.ids) {
      const at = this.wire.results.find((r) => r.id === id && r.at >= opened)?.at;
      if (at === undefined) return undefined;
      last = Math.max(last, at);
    }
    return last;
  }

  close(): void {
    this.client.close();
  }
}

export interface Audit {
  /** Published intervals from the subscriber's first to `upTo` that no update showed it. */
  missed: number;
  /** Updates that showed an interval already delivered (a watermark not above the one before). */
  duplicated: number;
}

/** What `s` saw against the intervals `published`, up to `upTo` (epoch s). */
export function audit(s: Subscriber, published: readonly number[], upTo: number): Audit {
  const first = Math.min(s.current[0] ?? Infinity, s.history[0] ?? Infinity);
  const missed = published.filter((t) => t >= first && t <= upTo && !s.shown.has(t)).length;
  const repeats = (xs: readonly number[]) => xs.filter((x, i) => i > 0 && x <= xs[i - 1]).length;
  return { missed, duplicated: repeats(s.current) + repeats(s.history) };
}

/** Questions analysts ask (the data here is dispatch prices: the kinds over them, over several windows). */
const QUESTIONS: { kind: Kind; params: Record<string, unknown> }[] = [
  { kind: 'prices.current', params: {} },
  { kind: 'prices.history', params: { range: '24h' } },
  { kind: 'prices.history', params: { regions: ['SA1'], range: '24h', resolution: '30m' } },
  { kind: 'prices.stats', params: { range: '24h' } },
  { kind: 'prices.bands', params: { range: '7d' } },
  { kind: 'prices.history', params: { regions: ['QLD1', 'NSW1'], range: '7d', resolution: '5m' } },
];

/** An SDK client asking one question after another (a pause between), counting answers and failures. */
export class Analyst {
  readonly client: NemClient;
  readonly log: StateLog;
  answered = 0;
  readonly failures: string[] = [];
  /** Round-trip times of the answers, ms. */
  readonly latencies: number[] = [];
  private running = true;
  private loop: Promise<void>;

  constructor(url: string, pauseMs: number, seed: number) {
    const client = new NemClient({ url, WebSocket: WebSocket as unknown as SocketConstructor, backoff: BACKOFF });
    this.client = client;
    this.log = new StateLog(client);
    this.loop = (async () => {
      for (let i = seed; this.running; i++) {
        const q = QUESTIONS[i % QUESTIONS.length];
        const t0 = performance.now();
        try {
          await client.query(q.kind, q.params as never);
          this.latencies.push(performance.now() - t0);
          this.answered++;
        } catch (err) {
          if (this.running) this.failures.push(`${q.kind}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.close();
  }
}

/** Plain HTTP through the proxy in a loop (the page and /healthz), counting answers that are not 200. */
export class HttpProbe {
  ok = 0;
  readonly failures: string[] = [];
  private running = true;
  private loop: Promise<void>;

  constructor(base: string, pauseMs: number) {
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        const path = i % 2 ? '/healthz' : '/';
        try {
          const res = await fetch(`${base}${path}`);
          await res.arrayBuffer();
          if (res.status === 200) this.ok++;
          else this.failures.push(`${path}: ${res.status}`);
        } catch (err) {
          this.failures.push(`${path}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
