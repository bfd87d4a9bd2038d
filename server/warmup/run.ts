// The warmup runner that boot, `npm run warmup` and the live feed share. It asks the server's own answer path
// (cache → single flight → DuckDB → encode → both tiers), so what it stores is exactly what a client would get.
// It never hogs the process: a bounded number of queries at a time, and a macrotask yield between them so
// socket traffic interleaves.
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import type { AnswerPath, Marks } from '../answer-path.ts';
import type { TieredCache } from '../cache/tiered.ts';
import { warmList, type WarmQuery } from './list.ts';

export interface WarmupProgress {
  done: number;
  total: number;
  query: WarmQuery;
  /** 'cached' when the entry was already stored and nothing ran. */
  outcome: 'computed' | 'cached' | 'failed';
  ms: number;
  error?: unknown;
}

export interface WarmupSummary {
  queries: number;
  computed: number;
  alreadyCached: number;
  failed: number;
  seconds: number;
  /** Encoded bytes of the answers computed in this run. */
  bytes: number;
  /** Share of the list the cache answers afterwards (below 1 when the caps are too small for it, or on failures). */
  hitRateAfter: number;
}

export interface WarmupOptions {
  list?: WarmQuery[];
  /** Queries in flight at once (default 1: on 2 cores DuckDB already uses both for one query). */
  concurrency?: number;
  onProgress?: (p: WarmupProgress) => void;
  signal?: AbortSignal;
  /** Leave the warmup progress gauges alone (hot refreshes are counted separately). */
  quiet?: boolean;
  /** Compute at these marks instead of the market's (the live pipeline, before it advances). */
  at?: Marks;
}

export async function runWarmup(path: AnswerPath, opts: WarmupOptions = {}): Promise<WarmupSummary> {
  const list = opts.list ?? warmList();
  const started = performance.now();
  const summary: WarmupSummary = {
    queries: list.length,
    computed: 0,
    alreadyCached: 0,
    failed: 0,
    seconds: 0,
    bytes: 0,
    hitRateAfter: 0,
  };
  const progress = opts.quiet ? { running: 0, done: 0, total: 0 } : path.cache.stats.warmup;
  progress.running++;
  progress.done = 0;
  progress.total = list.length;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < list.length && !opts.signal?.aborted) {
      const query = list[next++];
      await yieldToIo();
      const t0 = performance.now();
      let outcome: WarmupProgress['outcome'];
      let error: unknown;
      try {
        if (path.cache.has(path.keyFor(query.kind, query.params, opts.at))) {
          outcome = 'cached';
          summary.alreadyCached++;
        } else {
          const { dataBytes } = await path.answer(query.kind, query.params, opts.at);
          outcome = 'computed';
          summary.computed++;
          summary.bytes += dataBytes.byteLength;
        }
      } catch (err) {
        outcome = 'failed';
        error = err;
        summary.failed++;
      }
      progress.done = ++done;
      opts.onProgress?.({ done, total: list.length, query, outcome, ms: performance.now() - t0, error });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, worker));
    await path.cache.flush();
  } finally {
    progress.running--;
  }
  summary.seconds = (performance.now() - started) / 1000;
  const held = list.filter((q) => path.cache.has(path.keyFor(q.kind, q.params, opts.at))).length;
  summary.hitRateAfter = list.length === 0 ? 1 : held / list.length;
  return summary;
}

/**
 * Hot questions refreshed per new interval: the ~290 distinct questions the soak's 1,000 analysts ask per interval
 * (tabs × regions × ranges, station searches and pages, peeks; measured) fit; the pipeline's budget bounds the work.
 */
export const HOT_LIMIT = 512;
const refreshed = new WeakMap<TieredCache, string>();

/**
 * After new data (a new interval, or a revision that changed the key generation): recomputes, once per key space,
 * the most asked questions, so the next requests hit the cache. Call it after the answer path has moved on, or
 * before, with `at` the marks it will move to (`watermark` is then `at.watermark`).
 */
export async function refreshHot(
  path: AnswerPath,
  watermark: number,
  opts: Omit<WarmupOptions, 'list'> & { limit?: number; first?: readonly WarmQuery[] } = {},
): Promise<WarmupSummary> {
  // The key of a parameterless question names the key space: the watermark and the store generation.
  const space = path.keyFor('prices.current', {} as ParamsOf<Kind>, opts.at).text;
  if (refreshed.get(path.cache) === space) return { ...EMPTY };
  refreshed.set(path.cache, space);
  const hot = path.cache.hot.top(watermark, opts.limit ?? HOT_LIMIT);
  // `first` (subscribed questions) before the hot ones, each once. Only questions whose key follows the watermark
  // need it; fixed past windows never change.
  const seen = new Set<string>();
  const list: WarmQuery[] = [];
  for (const { kind, params } of [...(opts.first ?? []), ...hot]) {
    const key = path.keyFor(kind, params, opts.at);
    if (key.watermark !== watermark || seen.has(key.text)) continue;
    seen.add(key.text);
    list.push({ kind, params });
  }
  if (list.length === 0) return { ...EMPTY };
  const summary = await runWarmup(path, { ...opts, list, quiet: true });
  // Cut short (a time budget): a later call for the same key space finishes the list (what is stored is skipped).
  if (opts.signal?.aborted && refreshed.get(path.cache) === space) refreshed.delete(path.cache);
  const counted = path.cache.stats.hotRefresh;
  counted.runs++;
  counted.queries += summary.computed;
  return summary;
}

const EMPTY: WarmupSummary = {
  queries: 0,
  computed: 0,
  alreadyCached: 0,
  failed: 0,
  seconds: 0,
  bytes: 0,
  hitRateAfter: 1,
};

/** setImmediate, not a microtask: lets pending socket reads and timers run between warmup queries. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
