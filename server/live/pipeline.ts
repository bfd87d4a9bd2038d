// From stored data to pushes: after each batch a feed stores, read the store's watermark; for a new interval,
// first push it to subscribers (each subscribed question computed once at the NEW marks, while requests are still
// answered at the old watermark from their cached keys), record ingest-to-last-socket latency, then compute the hot
// questions at the new marks into the cache (within a time budget), then advance the market (the app's listener
// recomputes every subscribed question once, from the cache, and pushes only what a new subscriber still lacks),
// then refresh whatever hot entries the budget left out (and, after a revision, which is not staged, all of them).
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import { refreshHot, type AnswerPath } from '../../warmup/run.ts';
import type { Marks } from '../answer.ts';
import type { Logger } from '../log.ts';
import type { Market } from '../market.ts';
import type { CycleReport } from '../pusher.ts';
import { metrics } from '../metrics.ts';
import { readWatermark } from '../store/db.ts';
import { createFeed, type Feed, type FeedOptions } from './feed.ts';
import type { Batch } from './intake.ts';

/** The slice of the server's Pusher the pipeline needs. */
export interface PushCycle {
  /** Resolves when no push cycle is running (the one an advance started included). */
  idle(): Promise<void>;
  /** Distinct subscribed questions right now. */
  readonly groupCount: number;
  /** What the last cycle did, group by group. */
  readonly lastCycle?: CycleReport;
  /** The distinct subscribed questions, computed at the next marks before an advance (absent: only hot ones are). */
  questions?(): { kind: Kind; params: ParamsOf<Kind> }[];
  /** Pushes every subscribed question at the next marks before the market advances (resolves once written). */
  pushAhead(at: Marks): Promise<void>;
}

export interface PipelineDeps {
  market: Market;
  pusher: PushCycle;
  /** For hot refresh; absent when the server runs without a cache. */
  answerPath?: AnswerPath;
  log: Logger;
}

/**
 * Time a new interval waits for its answers to be precomputed: ~800 distinct questions through 2 cold-query slots
 * do not all fit, but the subscribed ones come first; what is left is computed on demand after the advance.
 */
export const STAGE_BUDGET_MS = 5000;
/** Precomputing queries at once: the gate's default slots, so requests at the old watermark queue behind at most that. */
const STAGE_CONCURRENCY = 2;

export interface PushOutcome {
  watermark: number;
  revised: boolean;
  /** Questions recomputed (subscribed groups at the time). */
  groups: number;
  /** From the batch's commit until uWS has written the last push into its socket, ms. */
  latencyMs: number;
  /** The push cycle's own account (when it reached a cycle): when each group was ready and published. */
  cycle?: CycleReport;
}

export class Pipeline {
  private hot: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly d: PipelineDeps,
  ) {}

  /** Handles one stored batch; returns what was pushed, or null when the answer could not have changed. */
  async onBatch(batch: Batch): Promise<PushOutcome | null> {
    const marks = await readWatermark(this.conn);
    if (!marks) return null;
    const { market } = this.d;
    // Data at or before the current watermark rewrote past intervals (a late file, a revision, SCADA after its
    // prices): answers at this watermark are stale, so the market moves to a new generation of cache keys.
    const revised = batch.window !== null && batch.window.minTs <= market.watermark;
    const { pusher } = this.d;
    const groups = pusher.groupCount;
    let pushedAt: number | undefined;
    let cycle: CycleReport | undefined;
    // A new interval (not a revision, whose next generation only the market names) is computed before it is shown.
    if (!revised && market.hasData && marks.watermark > market.watermark) {
      const at = { watermark: marks.watermark, firstTs: Math.min(market.firstTs, marks.firstTs), generation: market.generation };
      await pusher.pushAhead(at);
      pushedAt = await written();
      cycle = pusher.lastCycle;
      await this.stage(at);
    }
    if (!market.advance(marks.watermark, { firstTs: marks.firstTs, revised })) return null;
    await pusher.idle();
    const latencyMs = (pushedAt ?? (await written())) - batch.ingestedAt;
    if (groups > 0) metrics.pushLatency.observe(latencyMs / 1000);
    this.d.log.info(
      { watermark: market.iso, revised, groups, latencyMs: Math.round(latencyMs * 10) / 10, source: batch.source, files: batch.files.length || undefined },
      'live: new data pushed',
    );
    this.refreshHot(market.watermark);
    return { watermark: market.watermark, revised, groups, latencyMs, cycle: cycle ?? pusher.lastCycle };
  }

  /**
   * Computes the subscribed and hot questions at `at` (the marks the market is about to move to) into the cache,
   * stopping after the time budget. Meanwhile requests are answered at the market's (old) marks: every handler
   * bounds its window by the context's watermark, so the rows just stored are left out.
   */
  private async stage(at: Marks): Promise<void> {
    const path = this.d.answerPath;
    if (!path) return;
    // A hot refresh still running for the previous interval would compete for the same slots.
    await this.hot;
    const t0 = performance.now();
    const budget = AbortSignal.timeout(STAGE_BUDGET_MS);
    try {
      const s = await refreshHot(path, at.watermark, { at, first: this.d.pusher.questions?.(), signal: budget, concurrency: STAGE_CONCURRENCY });
      this.d.log.debug({ ...s, cutShort: budget.aborted, ms: Math.round(performance.now() - t0) }, 'live: next interval precomputed');
    } catch (err) {
      this.d.log.warn({ err }, 'live: precomputing the next interval failed; answers are computed on demand');
    }
  }

  /** Waits for a hot refresh in progress (shutdown, tests). */
  settled(): Promise<unknown> {
    return this.hot;
  }

  private refreshHot(watermark: number): void {
    const path = this.d.answerPath;
    if (!path) return;
    // After the pushes, not before: subscribers wait on pushes; hot entries serve the next requests.
    this.hot = this.hot
      .then(() => refreshHot(path, watermark))
      .then(
        (s) => s.queries > 0 && this.d.log.debug({ ...s }, 'live: hot cache entries refreshed'),
        (err: unknown) => this.d.log.warn({ err }, 'live: hot refresh failed'),
      );
  }
}

/**
 * When the frames of a finished push cycle are in the sockets: sends that found a socket's buffer full are written
 * when the event loop turns, and the check phase after that turn is the first moment they are all out.
 */
async function written(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  return performance.now();
}

export interface LiveOptions {
  live: string;
  replaySeconds: number;
}

export interface LiveHandle {
  feed: Feed;
  pipeline: Pipeline;
  /** Stops the feed, waits for its step and any push in progress, and closes its connection. */
  stop(): Promise<void>;
}

/**
 * Starts the feed LIVE selects, wired to pushes. Returns undefined when there is none (LIVE=off). One per
 * deployment: with several workers, only the one elected to ingest calls this.
 */
export async function startLive(instance: DuckDBInstance, config: LiveOptions, deps: PipelineDeps & Pick<FeedOptions, 'watch' | 'http'>): Promise<LiveHandle | undefined> {
  const conn = await instance.connect();
  const pipeline = new Pipeline(conn, deps);
  const onBatch = async (batch: Batch) => {
    try {
      await pipeline.onBatch(batch);
    } catch (err) {
      // The data is stored; the next batch pushes it. A push failure must not stop the feed.
      deps.log.error({ err }, 'live: pushing new data failed');
    }
  };
  let feed: Feed | undefined;
  try {
    feed = await createFeed({ ...config, conn, log: deps.log, onBatch, watch: deps.watch, http: deps.http });
  } finally {
    if (!feed) conn.closeSync();
  }
  if (!feed) return undefined;
  feed.start();
  let stopped: Promise<void> | undefined;
  const f = feed;
  return {
    feed: f,
    pipeline,
    stop: () =>
      (stopped ??= (async () => {
        await f.stop();
        await pipeline.settled();
        conn.closeSync();
      })()),
  };
}
