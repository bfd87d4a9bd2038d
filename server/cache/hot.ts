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
    else if (bucket.size < MAX_PER_WATERMARK)
      bucket.set(key.query, { kind: key.kind, params: key.params as ParamsOf<Kind>, count: 1 });
  }

  /**
   * The most asked questions, most asked first, over the two latest watermarks up to `watermark`: after a new
   * interval that is the previous one (plus what pushes already asked at the new one); after a revision at the
   * same watermark, the current one and the one before.
   */
  top(watermark: number, limit: number): HotQuery[] {
    const marks = [...this.buckets.keys()]
      .filter((w) => w <= watermark)
      .sort((a, b) => b - a)
      .slice(0, 2);
    const merged = new Map<string, HotQuery>();
    for (const w of marks) {
      for (const [id, q] of this.buckets.get(w)!) {
        const seen = merged.get(id);
        if (seen) seen.count += q.count;
        else merged.set(id, { ...q });
      }
    }
    return [...merged.values()].sort((a, b) => b.count - a.count).slice(0, limit);
  }

  private prune(): void {
    const marks = [...this.buckets.keys()].sort((a, b) => b - a);
    for (const w of marks.slice(KEEP_WATERMARKS)) this.buckets.delete(w);
  }
}
