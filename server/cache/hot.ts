// Which questions clients asked lately, so the next interval can refresh them before anyone asks again.
//
// Idle means idle: only a client's own question counts (not warmup, pushes, a tab's panels, nor the refresh itself,
// which would otherwise keep every question it once refreshed hot for ever), and a question is refreshed only while it
// was asked within the horizon: at one of the last two watermarks, or in the last `horizonS` seconds of wall time (so
// an analyst re-asking every 30 s at a 5-second replay keeps hitting the cache). After the last visitor leaves, the
// refresh shrinks to nothing within the horizon. Most recently and often asked first: each ask adds 1 to a score that
// halves every `horizonS / 2` seconds.
// The `every` policy is the one before (issue 16): every question seen at the last two watermarks, the refresh's own
// included; kept only as the benchmarks' baseline (HOT_REFRESH=every).
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import type { CacheKey } from './key.ts';

export interface HotQuery {
  kind: Kind;
  params: ParamsOf<Kind>;
  count: number;
}

export type HotPolicy = 'recent' | 'every';

export interface HotOptions {
  policy?: HotPolicy;
  /** Wall-clock seconds a question stays worth refreshing after it was last asked (default HOT_HORIZON_S). */
  horizonS?: number;
  /** Milliseconds on a monotonic clock (tests move it). */
  now?: () => number;
}

/** Default horizon: two minutes of wall time (24 intervals of a 5-second replay), besides the last two watermarks. */
export const HOT_HORIZON_S = 120;
/** Distinct questions tracked; the rest of a long tail is not worth refreshing. */
const MAX_TRACKED = 5000;
/** Watermarks remembered by the `every` policy: the current one and the one before (refresh reads the previous). */
const KEEP_WATERMARKS = 3;

interface Asked {
  kind: Kind;
  params: ParamsOf<Kind>;
  /** Decayed ask count as of `at`. */
  score: number;
  at: number;
  /** The watermark of its last ask. */
  watermark: number;
}

export class HotTracker {
  readonly policy: HotPolicy;
  readonly horizonS: number;
  private readonly now: () => number;
  /** `recent`: by question. */
  private readonly asked = new Map<string, Asked>();
  /** `every`: per watermark, by question. */
  private readonly buckets = new Map<number, Map<string, HotQuery>>();
  /** `recent`: the latest watermarks seen (newest first), whoever asked at them. */
  private marks: number[] = [];

  constructor(opts: HotOptions = {}) {
    this.policy = opts.policy ?? 'recent';
    this.horizonS = opts.horizonS ?? HOT_HORIZON_S;
    this.now = opts.now ?? (() => performance.now());
  }

  /** `byClient`: a client asked it (false for the app's own work: warmup, pushes, refresh, a tab's panels). */
  record(key: CacheKey, byClient: boolean): void {
    if (key.watermark === null) return; // fixed windows never need refreshing
    if (this.policy === 'every') return this.recordEvery(key);
    this.noteMark(key.watermark);
    if (!byClient) return;
    const now = this.now();
    const q = this.asked.get(key.query);
    if (q) {
      q.score = this.decayed(q, now) + 1;
      q.at = now;
      q.watermark = Math.max(q.watermark, key.watermark);
      // Re-inserted: the map's order is then oldest ask first, which prune relies on.
      this.asked.delete(key.query);
      this.asked.set(key.query, q);
      return;
    }
    if (this.asked.size >= MAX_TRACKED) this.prune(now, Number.POSITIVE_INFINITY);
    if (this.asked.size >= MAX_TRACKED) return;
    this.asked.set(key.query, {
      kind: key.kind,
      params: key.params as ParamsOf<Kind>,
      score: 1,
      at: now,
      watermark: key.watermark,
    });
  }

  /**
   * The questions worth refreshing for `watermark`, at most `limit`, most asked first: `recent`, those asked within
   * the horizon (at one of the two latest watermarks up to `watermark`, or within `horizonS`); `every`, the most
   * asked over the two latest watermarks up to `watermark`.
   */
  top(watermark: number, limit: number): HotQuery[] {
    if (this.policy === 'every') return this.topEvery(watermark, limit);
    const now = this.now();
    this.noteMark(watermark);
    const latest = this.marks.filter((w) => w <= watermark).slice(0, 2);
    const keepFrom = latest.at(-1) ?? watermark;
    this.prune(now, keepFrom);
    const out: HotQuery[] = [];
    for (const q of this.asked.values())
      if (q.watermark <= watermark) out.push({ kind: q.kind, params: q.params, count: this.decayed(q, now) });
    return out.sort((a, b) => b.count - a.count).slice(0, limit);
  }

  /** Questions tracked now (for tests and metrics). */
  get size(): number {
    return this.policy === 'every' ? [...this.buckets.values()].reduce((n, b) => n + b.size, 0) : this.asked.size;
  }

  private noteMark(watermark: number): void {
    if (this.marks.includes(watermark)) return;
    this.marks = [...this.marks, watermark].sort((a, b) => b - a).slice(0, KEEP_WATERMARKS);
  }

  private decayed(q: Asked, now: number): number {
    const halfLifeMs = Math.max(1, this.horizonS * 500);
    return q.score * 2 ** (-(now - q.at) / halfLifeMs);
  }

  /** Forgets questions asked before the horizon and before watermark `keepFrom` (oldest asks come first). */
  private prune(now: number, keepFrom: number): void {
    const cutoff = now - this.horizonS * 1000;
    for (const [id, q] of this.asked) {
      if (q.at >= cutoff) break;
      if (q.watermark < keepFrom) this.asked.delete(id);
    }
  }

  private recordEvery(key: CacheKey): void {
    const watermark = key.watermark!;
    let bucket = this.buckets.get(watermark);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(watermark, bucket);
      const marks = [...this.buckets.keys()].sort((a, b) => b - a);
      for (const w of marks.slice(KEEP_WATERMARKS)) this.buckets.delete(w);
    }
    const q = bucket.get(key.query);
    if (q) q.count++;
    else if (bucket.size < MAX_TRACKED)
      bucket.set(key.query, { kind: key.kind, params: key.params as ParamsOf<Kind>, count: 1 });
  }

  private topEvery(watermark: number, limit: number): HotQuery[] {
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
}
