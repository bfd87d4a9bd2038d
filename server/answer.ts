// The answer path, one function: (kind, canonical params) at the current watermark → the msgpack bytes of the
// `data` payload, from the cache (LRU → LMDB) or computed once (single flight → bounded gate → catalogue →
// encode) and stored. Bytes, not objects, cross it: what is cached is what is sent.
import type { Kind, ParamsOf } from '../shared/kinds.ts';
import { toNemIso } from '../shared/nem.ts';
import { encode, encodeFrameWithData, type CacheTier, type RequestId } from '../shared/protocol.ts';
import { makeKey, type CacheKey } from './cache/key.ts';
import type { TieredCache } from './cache/tiered.ts';
import { runQuery } from './catalogue/index.ts';
import { overloaded } from './errors.ts';
import { Flight } from './flight.ts';
import type { ConnHolder } from './lane.ts';
import type { Gate } from './limiter.ts';
import type { Market } from './market.ts';
import { metrics } from './metrics.ts';

export interface Answer {
  dataBytes: Uint8Array;
  tier: CacheTier;
  /** Server time spent on this answer. */
  ms: number;
  /** The watermark the answer was computed at. */
  watermark: number;
  /** Market.version it was computed at: older than the market's means newer data has arrived since. */
  version: number;
}

export class Answerer {
  private readonly flight = new Flight<Uint8Array>();

  constructor(
    private readonly market: Market,
    readonly cache: TieredCache | undefined,
    private readonly gate: Gate,
  ) {}

  /** The cache key `answer` uses right now. */
  keyFor<K extends Kind>(kind: K, params: ParamsOf<K>): CacheKey<K> {
    return makeKey(kind, params, this.market.watermark, { generation: this.market.generation });
  }

  /** `helpers` lend a connection when the answer has to be computed (the asking session first). */
  async answer<K extends Kind>(kind: K, params: ParamsOf<K>, helpers: ConnHolder | readonly ConnHolder[]): Promise<Answer> {
    const t0 = performance.now();
    const { watermark, firstTs, version } = this.market;
    const key = this.keyFor(kind, params);
    const hit = this.cache?.get(key);
    if (hit) return { dataBytes: hit.bytes, tier: hit.tier, ms: performance.now() - t0, watermark, version };
    const dataBytes = await this.flight.run(key.text, helpers, async (conn) => {
      const queued = this.gate.run(async () => {
        const q0 = performance.now();
        const data = await runQuery({ conn, watermark, firstTs }, kind, params);
        metrics.queryDuration.observe({ kind }, (performance.now() - q0) / 1000);
        // A copy: msgpackr's result is a view into its shared, reused buffer.
        return new Uint8Array(encode(data));
      });
      if (!queued) throw overloaded('too many queries are waiting; try again shortly');
      const bytes = await queued;
      void this.cache?.set(key, bytes);
      return bytes;
    });
    return { dataBytes, tier: 'db', ms: performance.now() - t0, watermark, version };
  }
}

/** A result or push frame: the small fields encoded here, the cached data bytes appended as they are. */
export function answerFrame(t: 'result' | 'push', id: RequestId, kind: Kind, answer: Answer): Uint8Array {
  const meta = { cache: answer.tier, ms: Math.round(answer.ms * 1000) / 1000, watermark: toNemIso(answer.watermark) };
  return encodeFrameWithData({ t, id, kind, meta }, answer.dataBytes);
}
