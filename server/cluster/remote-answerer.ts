// A worker's answer path: its own LRU and the shared LMDB first, then the supervisor, which owns the only DuckDB
// in the deployment (DuckDB lets one process write a database file, and two instances of one file in one process
// do not see each other's writes; measured). Identical misses in this worker are asked once.
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import type { CacheTier } from '../../shared/protocol.ts';
import { Answerer, type Answer, type Marks } from '../answer.ts';
import type { TieredCache } from '../cache/tiered.ts';
import type { ConnHolder } from '../conn-holder.ts';
import type { Gate } from '../fair-gate.ts';
import type { Market } from '../market.ts';
import { errorFromReply, type AnswerReply, type FromWorker } from './messages.ts';

export interface RemoteAnswer {
  bytes: Uint8Array;
  tier: CacheTier;
  /** The supervisor's data state the answer was computed at (it may be ahead of this worker's for a moment). */
  watermark: number;
  generation: string;
}

export class RemoteAnswerer extends Answerer {
  private readonly asking = new Map<string, Promise<RemoteAnswer>>();
  private readonly maxAsking: number;

  constructor(
    private readonly mkt: Market,
    cache: TieredCache | undefined,
    gate: Gate,
    private readonly ask: (kind: Kind, params: ParamsOf<Kind>, at?: Marks, owner?: string) => Promise<RemoteAnswer>,
  ) {
    super(mkt, cache, gate);
    this.maxAsking = gate.maxQueue;
  }

  override async answer<K extends Kind>(
    kind: K,
    params: ParamsOf<K>,
    helpers: ConnHolder | readonly ConnHolder[],
    at?: Marks,
  ): Promise<Answer> {
    const t0 = performance.now();
    const { version } = this.mkt;
    const { watermark, generation } = at ?? this.mkt;
    const key = this.keyFor(kind, params, at);
    // Alerts change without the watermark moving (a notice, the events of the interval just stored): never cached.
    const cache = this.cacheFor(kind);
    const hit = cache?.get(key);
    if (hit) return { dataBytes: hit.bytes, tier: hit.tier, ms: performance.now() - t0, watermark, version };
    // The caps of one process: per socket (MAX_SESSION_QUEUE), and on the questions this worker has asked the
    // supervisor and not heard back about (MAX_QUEUED_QUERIES), so no socket queues unbounded work there.
    const release = this.admit(helpers);
    try {
      const r = await this.askOnce(key.text, kind, params, at, ownerOf(helpers));
      // The supervisor stored it in LMDB; keep it in this worker's LRU only under the key it really answers.
      if (r.watermark === watermark && r.generation === generation) cache?.lru.set(key.text, r.bytes);
      return { dataBytes: r.bytes, tier: r.tier, ms: performance.now() - t0, watermark: r.watermark, version };
    } finally {
      release();
    }
  }

  private askOnce(
    text: string,
    kind: Kind,
    params: ParamsOf<Kind>,
    at: Marks | undefined,
    owner: string | undefined,
  ): Promise<RemoteAnswer> {
    let pending = this.asking.get(text);
    if (!pending) {
      if (this.asking.size >= this.maxAsking) throw this.queueFull;
      const p = this.ask(kind, params, at, owner);
      pending = p;
      this.asking.set(text, p);
      const forget = () => this.asking.get(text) === p && this.asking.delete(text);
      p.then(forget, forget);
    }
    return pending;
  }
}

/** The asking socket's session id, so the supervisor gives it its own turn; none for the worker's own work. */
function ownerOf(helpers: ConnHolder | readonly ConnHolder[]): string | undefined {
  const first = (Array.isArray(helpers) ? helpers[0] : helpers) as (ConnHolder & { id?: unknown }) | undefined;
  return first && !first.background && typeof first.id === 'string' ? first.id : undefined;
}

/** The worker's side of the `ask` exchange: numbered requests over IPC, settled by the supervisor's replies. */
export class Asker {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (a: RemoteAnswer) => void; reject: (e: Error) => void }>();

  constructor(private readonly send: (msg: FromWorker) => boolean) {}

  ask = (kind: Kind, params: ParamsOf<Kind>, at?: Marks, owner?: string): Promise<RemoteAnswer> =>
    new Promise((resolve, reject) => {
      const id = this.next++;
      this.waiting.set(id, { resolve, reject });
      const msg: FromWorker = { t: 'ask', id, kind, params };
      if (at) msg.at = at;
      if (owner !== undefined) msg.owner = owner;
      if (!this.send(msg)) {
        this.waiting.delete(id);
        reject(new Error('the supervisor is gone'));
      }
    });

  settle(r: AnswerReply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if (r.ok) w.resolve({ bytes: r.bytes, tier: r.tier, watermark: r.watermark, generation: r.generation });
    else w.reject(errorFromReply(r));
  }

  /** The channel closed: nothing will answer. */
  failAll(reason: string): void {
    for (const w of this.waiting.values()) w.reject(new Error(reason));
    this.waiting.clear();
  }
}
