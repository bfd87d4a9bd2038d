// The answer path as warmup, hot refresh and the live pipeline use it. The server's Answerer (answer.ts)
// implements it; so does the offline one the warmup CLI runs (warmup/store-path.ts).
import type { Kind, ParamsOf } from '../shared/kinds.ts';
import type { CacheTier } from '../shared/protocol.ts';
import type { CacheKey } from './cache/key.ts';
import type { TieredCache } from './cache/tiered.ts';

/** Marks to answer at instead of the market's: the pipeline computes the next interval's answers before advancing. */
export interface Marks {
  watermark: number;
  firstTs: number;
  generation: string;
}

export interface AnswerPath {
  cache: TieredCache;
  /** The key `answer` would use right now (at the current watermark), or at `at`. */
  keyFor(kind: Kind, params: ParamsOf<Kind>, at?: Marks): CacheKey;
  /** The encoded `data` payload for (kind, params) at the current watermark (or at `at`), through the cache. */
  answer(
    kind: Kind,
    params: ParamsOf<Kind>,
    at?: Marks,
  ): Promise<{ dataBytes: Uint8Array; tier: CacheTier; ms: number }>;
}
