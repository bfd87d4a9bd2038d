// From stored data to pushes: after each batch a feed stores, read the store's watermark; for a new interval,
// start pushing it to subscribers (each subscribed question computed once at the NEW marks, while requests are still
// answered at the old watermark from their cached keys), then compute the hot questions at the new marks into the
// cache, then advance the market. Pushing and precomputing share one budget from the batch's arrival: the advance
// never waits longer than that, whatever the subscriptions cost; a push run not finished by then goes on at the
// marks the market now has (a newer interval supersedes it). Latency is measured from the commit to the last socket
// written for the interval, and logged then, so the feed and the watermark never wait for it. After a revision the
// market advances first and the pushes follow; a backfill's revision has its hot answers computed first.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { AnswerPath, Marks } from '../answer-path.ts';
import { refreshHot } from '../warmup/run.ts';
import type { RevisedSpan } from '../cache/generation.ts';
import { TARGETS } from '../store/mms-tables.ts';
import type { Logger } from '../log.ts';
import { wireWatermark, type Market } from '../market.ts';
import type { CycleReport } from '../pusher.ts';
import { metrics } from '../metrics.ts';
import { readWatermark } from '../store/db.ts';
import { serialized } from '../store/ingest.ts';
import type { Feed } from './driver.ts';
import { noteStoreError } from '../store-health.ts';
import { createFeed, type FeedOptions } from './feed.ts';
import { readSourceMarks, type SourceMarks } from './sources.ts';
import { ADMIN_SOURCE, type Batch } from './intake.ts';
import type { AlertLog } from '../alerts/alert-log.ts';

/** The slice of the server's Pusher the pipeline needs. */
export interface PushCycle {
  /** Resolves when the push run in progress now has written its frames (or was superseded). */
  idle(): Promise<void>;
  /** The run in progress now, if any (absent: idle() is waited for, as if one always ran). */
  inProgress?(): Promise<unknown> | undefined;
  /** Distinct subscribed questions right now. */
  readonly groupCount: number;
  /** What the last run did, group by group. */
  readonly lastCycle?: CycleReport;
  /**
   * Pushes every subscribed question at the next marks, before and (if not done by then) after the market advances to
   * them; resolves once written or superseded by a newer interval. The pipeline waits for it only within its budget.
   */
  pushAhead(at: Marks): Promise<void>;
}

export interface PipelineDeps {
  market: Market;
  pusher: PushCycle;
  /** For hot refresh; absent when the server runs without a cache. */
  answerPath?: AnswerPath;
  log: Logger;
  /** Longest a batch waits for pushes and precomputing before the market advances (default STAGE_BUDGET_MS). */
  budgetMs?: number;
  /** Alert events, derived and stored as each batch commits, before its pushes (server/alerts/alert-log.ts). */
  alerts?: AlertLog;
}

/**
 * Longest a new interval waits, from its batch's arrival, for pushes ahead of the market and then for its hot answers
 * to be precomputed; what is left is pushed, or computed on demand, after the advance. On the one-year demo 1,000
 * analysts' ~290 questions take ~20 s of the one cold-query slot: a 5 s budget left most of them to miss just after
 * the advance, where they queued behind each other (soak p99 4–5 s). Subscribers do not wait for it (each push goes
 * out as it is computed); a one-off question is answered at the previous interval meanwhile. The feed takes its next
 * step once this one has advanced, so a replay faster than the server can compute slows to its pace rather than
 * showing intervals nobody's answers are ready for; AEMO's 5 minutes leave room.
 */
export const STAGE_BUDGET_MS = 30_000;
/** Longest shutdown waits for a halted hot refresh's last query. */
const SETTLE_MS = 2000;
/** Queries precomputed at once: the gate's default slots, so requests at the old watermark wait behind at most that. */
const STAGE_CONCURRENCY = 2;

export interface PushOutcome {
  watermark: number;
  revised: boolean;
  /** Subscribed questions when the batch arrived. */
  groups: number;
  /** From the batch's commit until its last push was written into a socket (or a newer interval took over), ms. */
  latencyMs: number;
  /** The push run's own account, when this interval had one: when each group was ready and sent, what it left out. */
  cycle?: CycleReport;
}

/** A batch's advance, done: the market shows it; its pushes may still be going out. */
export interface Advanced {
  watermark: number;
  /** Resolves once the interval's pushes are written (or superseded), after they are logged and measured. */
  pushed: Promise<PushOutcome>;
}

export class Pipeline {
  private hot: Promise<unknown> = Promise.resolve();
  /** Aborted on shutdown: a stage in progress then advances at once instead of waiting out its budget. */
  private readonly halting = new AbortController();

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly d: PipelineDeps,
  ) {}

  /** Handles one stored batch and waits for its pushes; null when the answer could not have changed. */
  async onBatch(batch: Batch): Promise<PushOutcome | null> {
    const a = await this.advance(batch);
    return a && a.pushed;
  }

  /**
   * Handles one stored batch up to the market's advance, which takes at most the budget (plus reading the
   * watermark); returns null when the answer could not have changed. What the feed waits for.
   */
  async advance(batch: Batch): Promise<Advanced | null> {
    // Ends the stage: its budget spent, or shutdown.
    const budget = AbortSignal.any([AbortSignal.timeout(this.d.budgetMs ?? STAGE_BUDGET_MS), this.halting.signal]);
    const marks = await readWatermark(this.conn);
    if (!marks) return null;
    // Alert events are derived and stored on this connection while the pushes are computed on the pool's (an alert
    // waits for no push, and no push for an alert); the batch is done when both are. A notice-only batch, which
    // moves no watermark, has nothing else.
    // In the connection's import queue: an upload's import may be under way on it (the admin ingest's batches), and
    // these writes must not land inside that file's transaction.
    const alerts = this.d.alerts;
    const alerting = (
      alerts ? serialized(this.conn, () => alerts.commit(this.conn, marks.watermark, alertRowsFrom(batch))) : undefined
    )?.catch((err: unknown) => this.d.log.error({ err }, 'alerts: deriving events failed; the next batch retries'));
    try {
      return await this.advanceMarket(batch, marks, budget);
    } finally {
      await alerting;
    }
  }

  private async advanceMarket(
    batch: Batch,
    marks: { watermark: number; firstTs: number },
    budget: AbortSignal,
  ): Promise<Advanced | null> {
    const { market, pusher } = this.d;
    // Data at or before the current watermark rewrote past intervals (a late file, a revision, SCADA after its
    // prices): answers at this watermark are stale, so the market moves to a new generation of cache keys.
    const revised = batch.window !== null && batch.window.minTs <= market.watermark;
    const groups = pusher.groupCount;
    // When each push run for this interval had its frames in the sockets (timed as each ends, not when looked at).
    let aheadWritten: Promise<number> | undefined;
    // A new interval (not a revision, whose next generation only the market names) is computed before it is shown.
    if (!revised && market.hasData && marks.watermark > market.watermark) {
      const at = nextMarks(market, marks, market.generation);
      const ahead = pusher.pushAhead(at);
      aheadWritten = ahead.then(written);
      await within(ahead, budget);
      await this.stage(at, budget);
    }
    const span = revised ? revisedSpan(batch) : undefined;
    // A backfill's revision retires the answers whose window it meets (those reaching back to all data, the records):
    // computed before the market names its generation, analysts keep their cached answers meanwhile instead of all
    // asking them cold at once (soak p99 1.1 s after a month's backfill). The feed's own revisions (SCADA after its
    // prices) are not held back: their pushes follow the advance as soon as it is made.
    let staged: string | undefined;
    if (revised && batch.source === ADMIN_SOURCE && market.hasData) {
      const base = market.generation;
      const at = nextMarks(market, marks, market.reserveRevision(span));
      await this.stage(at, budget);
      // The feed's own revision (SCADA after its prices) may have been named meanwhile: the staged generation then
      // lacks it, and this revision is named after it (the staged answers go unused).
      if (market.generation === base) staged = at.generation;
    }
    const naming = staged ? { generation: staged } : { revised, span };
    if (!market.advance(marks.watermark, { firstTs: marks.firstTs, ...naming })) return null;
    // Taken now: the run the advance joined or started (a later interval's run is not this one's).
    const advanced = pusher.inProgress ? pusher.inProgress() : pusher.idle();
    const advancedWritten = advanced?.then(written);
    const pushed = Promise.all([aheadWritten, advancedWritten]).then(([a, b]) =>
      this.pushed(batch, revised, groups, marks.watermark, Math.max(a ?? 0, b ?? 0) || performance.now()),
    );
    this.refreshHot(market.watermark);
    return { watermark: marks.watermark, pushed };
  }

  /** Measures and logs an interval once its pushes are out. */
  private pushed(batch: Batch, revised: boolean, groups: number, watermark: number, writtenAt: number): PushOutcome {
    const latencyMs = writtenAt - batch.ingestedAt;
    if (groups > 0) metrics.pushLatency.observe(latencyMs / 1000);
    const last = this.d.pusher.lastCycle;
    const cycle = last?.watermark === watermark ? last : undefined;
    const left =
      cycle && (cycle.dropped || cycle.superseded || cycle.failed)
        ? { dropped: cycle.dropped, superseded: cycle.superseded, failed: cycle.failed }
        : {};
    this.d.log.info(
      {
        watermark: wireWatermark(watermark),
        revised,
        groups,
        pushed: cycle?.groups.length,
        ...left,
        latencyMs: Math.round(latencyMs * 10) / 10,
        source: batch.source,
        files: batch.files.length || undefined,
      },
      'live: new data pushed',
    );
    return { watermark, revised, groups, latencyMs, cycle };
  }

  /**
   * Computes the hot questions at `at` (the marks the market is about to move to) into the cache, stopping when the
   * budget ends. Meanwhile requests are answered at the market's (old) marks: every handler bounds its window by
   * the context's watermark, so the rows just stored are left out.
   */
  private async stage(at: Marks, budget: AbortSignal): Promise<void> {
    const path = this.d.answerPath;
    if (!path) return;
    // A hot refresh still running for the previous interval would compete for the same slots.
    await within(this.hot, budget);
    if (budget.aborted) return;
    const t0 = performance.now();
    // Bounded by the budget itself, not only by the refresh noticing it between queries: a query the refresh waits for
    // is idle work at the gate, which a flood of clients' cold questions can hold back for as long as it lasts (the
    // feed then froze: no new interval, and a shutdown past its 15 s limit). Cut short, it finishes later on its own.
    const refresh = refreshHot(path, at.watermark, { at, signal: budget, concurrency: STAGE_CONCURRENCY }).then(
      (s) =>
        this.d.log.debug(
          { ...s, cutShort: budget.aborted, ms: Math.round(performance.now() - t0) },
          'live: next interval precomputed',
        ),
      (err: unknown) => this.failed(err, 'live: precomputing the next interval failed; answers are computed on demand'),
    );
    await within(refresh, budget);
  }

  /** Shutdown: a stage in progress stops waiting (its batch advances the market at once); later ones do not wait. */
  halt(): void {
    this.halting.abort();
  }

  /** Waits for a hot refresh in progress (shutdown, tests). */
  settled(): Promise<unknown> {
    return this.hot;
  }

  private refreshHot(watermark: number): void {
    const path = this.d.answerPath;
    if (!path) return;
    // Whatever the stage's budget left out; hot entries serve the next requests.
    this.hot = this.hot
      .then(() => refreshHot(path, watermark, { signal: this.halting.signal }))
      .then(
        (s) => s.queries > 0 && this.d.log.debug({ ...s }, 'live: hot cache entries refreshed'),
        (err: unknown) => this.failed(err, 'live: hot refresh failed'),
      );
  }

  /** A refresh that failed; at shutdown one cut short meets the cache already closed: no failure to warn of. */
  private failed(err: unknown, msg: string): void {
    if (this.halting.signal.aborted) this.d.log.debug({ err }, `${msg} (shutting down)`);
    else this.d.log.warn({ err }, msg);
  }
}

/** Waits for `work` until `budget` aborts at the latest; what it does after is not waited for. */
async function within(work: Promise<unknown>, budget: AbortSignal): Promise<void> {
  if (budget.aborted) return;
  let onEnd!: () => void;
  const ended = new Promise<void>((resolve) =>
    budget.addEventListener('abort', (onEnd = () => resolve()), { once: true }),
  );
  try {
    await Promise.race([work.catch(() => undefined), ended]);
  } finally {
    budget.removeEventListener('abort', onEnd);
  }
}

/**
 * When the frames of a finished push run are in the sockets: sends that found a socket's buffer full are written
 * when the event loop turns, and the check phase after that turn is the first moment they are all out.
 */
async function written(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  return performance.now();
}

export interface LiveOptions {
  live: string;
  replaySeconds: number;
  livePollS: number;
  nemwebUrl: string;
  /** Days of forecast runs kept (FORECAST_DAYS). */
  forecastDays?: number;
}

export interface LiveHandle {
  feed: Feed;
  pipeline: Pipeline;
  /** Each source's newest interval in the store, as of the last batch. */
  sources(): SourceMarks;
  /** Stops the feed, waits for its step and any push in progress, and closes its connection. */
  stop(): Promise<void>;
}

/**
 * Starts the feed LIVE selects, wired to pushes. Returns undefined when there is none (LIVE=off). One per
 * deployment: with several workers, only the one elected to ingest calls this.
 */
export async function startLive(
  instance: DuckDBInstance,
  config: LiveOptions,
  deps: PipelineDeps & Pick<FeedOptions, 'watch' | 'http'> & { conn?: DuckDBConnection },
): Promise<LiveHandle | undefined> {
  // The caller's connection when given (the core's writer, shared with the admin ingest), closed by the caller.
  const own = !deps.conn;
  const conn = deps.conn ?? (await instance.connect());
  const pipeline = new Pipeline(conn, deps);
  const onBatch = async (batch: Batch) => {
    try {
      // Up to the advance only: the feed takes its next step while this interval's pushes go out.
      const advanced = await pipeline.advance(batch);
      if (batch.source !== 'demo') await noteSources(); // /healthz lists sources for AEMO data only
      advanced?.pushed.catch((err: unknown) => deps.log.error({ err }, 'live: pushing new data failed'));
    } catch (err) {
      // The data is stored; the next batch pushes it. A push failure must not stop the feed.
      deps.log.error({ err }, 'live: pushing new data failed');
    }
  };
  // Each source's newest interval, for /healthz: read at start and after each stored batch.
  let sources: SourceMarks;
  const noteSources = () =>
    readSourceMarks(conn).then(
      (m) => void (sources = m),
      (err: unknown) => deps.log.warn({ err }, 'live: reading the sources’ marks failed'),
    );
  let feed: Feed | undefined;
  try {
    sources = await readSourceMarks(conn);
    feed = await createFeed({
      ...config,
      conn,
      log: deps.log,
      onBatch,
      onStoreError: (err) => noteStoreError(instance, err),
      watch: deps.watch,
      http: deps.http,
    });
  } finally {
    if (!feed && own) conn.closeSync();
  }
  if (!feed) return undefined;
  feed.start();
  let stopped: Promise<void> | undefined;
  const f = feed;
  return {
    feed: f,
    pipeline,
    sources: () => sources!,
    stop: () =>
      (stopped ??= (async () => {
        pipeline.halt();
        await f.stop();
        // A hot refresh halted mid-query may wait at the gate behind clients' questions: not worth waiting for.
        await within(pipeline.settled(), AbortSignal.timeout(SETTLE_MS));
        if (own) conn.closeSync();
      })()),
  };
}

/** The marks answers are staged at before the market moves to the store's `marks`: its watermark never goes back. */
function nextMarks(market: Market, marks: { watermark: number; firstTs: number }, generation: string): Marks {
  return {
    watermark: Math.max(marks.watermark, market.watermark),
    firstTs: Math.min(market.firstTs, marks.firstTs),
    generation,
  };
}

/** The earliest interval a batch wrote when it wrote what alerts are derived from (prices, market status). */
function alertRowsFrom(batch: Batch): number | undefined {
  return batch.window && (batch.rows.price ?? 0) + (batch.rows.market_status ?? 0) > 0 ? batch.window.minTs : undefined;
}

/**
 * The intervals a revising batch rewrote, when it wrote interval rows only (mms-tables.ts TARGETS: their rollups stay
 * within a day of them); undefined when it may have changed answers anywhere (an emission factor, the registry).
 */
function revisedSpan(batch: Batch): RevisedSpan | undefined {
  if (!batch.window || Object.keys(batch.rows).some((t) => !(t in TARGETS))) return undefined;
  return batch.window;
}
