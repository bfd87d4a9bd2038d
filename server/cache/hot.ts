// Which questions are asked most at each watermark, so the next interval can refresh them before anyone asks.
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import type { CacheKey } from './key.ts';

export interface HotQuery {
  kind: Kind;
  params: ParamsOf<Kind>;
  count: number;
}

/** Distinct questions tracked per watermark; the rest of a long tail is not worth refreshing. */
const MAX_PER_WATERMARK = 5000;
/** Watermarks remembered: the current one and the one before (refresh reads the previous). */
const KEEP_WATERMARKS = 3;

export class HotTracker {
  private readonly buckets = new Map<number, Map<string, HotQuery>>();

  record(key: CacheKey): void {
    if (key.watermark === null) return; // fixed windows never need refreshing
    let bucket = this.buckets.get(key.watermark);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(key.watermark, bucket);
      this.prune();
    }
    const q = bucket.get(key.query);
    if (q) q.count++;
    else if (bucket.size < MAX_PER_WATERMARK) bucket.set(key.query, { kind: key.kind, params: key.params as ParamsOf<Kind>, count: 1 });
  }

  /** The most asked questions at the latest watermark before `watermark`, most asked first. */
  topBefore(watermark: number, limit: number): HotQuery[] {
    let prev: number | undefined;
    for (const w of this.buckets.keys()) if (w < watermark && (prev === undefined || w > prev)) prev = w;
    if (prev === undefined) return [];
    return [...this.buckets.get(prev)!.values()].sort((a, b) => b.count - a.count).slice(0, limit);
  }

  private prune(): void {
    const marks = [...this.buckets.keys()].sort((a, b) => b - a);
    for (const w of marks.slice(KEEP_WATERMARKS)) this.buckets.delete(w);
  }
}
