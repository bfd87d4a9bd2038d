// The store side of a deployment, in the one process that owns the DuckDB (the single server, or the cluster's
// supervisor): store (the demo built into an empty one) → market at the stored watermark → cache → cold-query gate →
// answerer, then, once something can push, the live feed and the boot warmup. One close() takes it down in order.
// Who serves sockets over it is the caller's business (server/app.ts, server/cluster/supervisor.ts).
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { AnswerPath } from './answer-path.ts';
import { bootWarmup } from './warmup/boot.ts';
import { loadHotList, saveHotList } from './warmup/hot-list.ts';
import { HOT_LIMIT, type WarmupSummary } from './warmup/run.ts';
import { Answerer } from './answer.ts';
import { serverCache, type TieredCache } from './cache/tiered.ts';
import type { Config } from './config.ts';
import type { ConnHolder } from './conn-holder.ts';
import { closeIdleConnections, ConnLane, LanePool } from './lane.ts';
import { Gate } from './fair-gate.ts';
import type { Limits } from './limits.ts';
import type { Logger } from './log.ts';
import { feedInfo, wantsDemo, type FeedOptions } from './live/feed.ts';
import { sourceLags, type SourceLag } from './live/sources.ts';
import type { FeedInfo } from '../shared/protocol.ts';
import { Coalescer } from './live/coalesce.ts';
import { ADMIN_SOURCE } from './live/intake.ts';
import { Pipeline, startLive, type LiveHandle, type PushCycle } from './live/pipeline.ts';
import { Market } from './market.ts';
import { bindSources, DuckMemoryProbe } from './metrics.ts';
import { readMeta, readWatermark } from './store/db.ts';
import { type FileReport, ingestPath } from './store/ingest.ts';
import { AlertLog } from './alerts/alert-log.ts';
import { ensureStore } from './store/ensure-store.ts';
import { readGeneration } from './store/version.ts';
import { storeHealth, type StoreState } from './store-health.ts';

export interface CoreOptions {
  log: Logger;
  limits: Pick<Limits, 'poolSize' | 'maxColdQueries' | 'appSlots' | 'maxQueuedQueries' | 'maxSessionQueue'>;
  /** false: no cache, every answer from DuckDB. A given cache is flushed, not closed. Default: LRU + LMDB. */
  cache?: TieredCache | false;
  /** The default cache's LRU share (default LRU_MB: a supervisor holds a part of it). */
  lruMb?: number;
  /** Live-feed driver tuning (poll intervals), for tests and benchmarks. */
  live?: Pick<FeedOptions, 'watch' | 'http'>;
}

export interface Core {
  instance: DuckDBInstance;
  /** App-owned connections for work no socket asked for (pushes, warmup). */
  pool: LanePool;
  market: Market;
  /** What clients are told about the live feed (the hello frame). */
  feed: FeedInfo;
  cache: TieredCache | undefined;
  answerer: Answerer;
  /** The answer path for warmup and hot refresh (undefined without a cache). */
  answerPath: AnswerPath | undefined;
  /** Alert events: those stored, and those the live feed's batches fire. */
  alerts: AlertLog;
  /** The live feed LIVE selected, once start() ran (undefined for LIVE=off or when it failed to start). */
  readonly live: LiveHandle | undefined;
  /** Set once the boot warmup has finished. */
  readonly warmup: WarmupSummary | undefined;
  /** The boot warmup: resolves with its summary (undefined when WARM=0, without a cache or data, or interrupted). */
  readonly warmed: Promise<WarmupSummary | undefined>;
  /** The store's side of /healthz: DuckDB's memory as last sampled, and the store's state. */
  health(): { duckdbMemoryBytes: number | undefined; store: StoreState; sources?: Record<string, SourceLag> };
  /** Setting memory_limit (to the same value) makes DuckDB's and glibc's allocators hand free pages back. */
  flushAllocator(): void;
  /**
   * Ingests a file on disk (the admin route: a backfill while the server holds the store) on the live feed's
   * connection, after the interactive queries waiting now; the market moves on as for a live batch once the files
   * stop coming (live/coalesce.ts), so a backfill does not retire the cache file after file. Throws
   * having stored nothing (`code` 'bad_file' when the file is to blame). Only once start() ran.
   */
  ingestUpload(path: string, name: string): Promise<FileReport>;
  /** Starts the boot warmup (in the background) and the live feed, whose new intervals `pusher` pushes. */
  start(pusher: PushCycle): Promise<void>;
  /** Interrupts the warmup and stops the live feed (the first step of a shutdown). */
  stopFeeds(): Promise<void>;
  /** stopFeeds, waits for the warmup, then closes the pool, the cache and DuckDB. */
  close(): Promise<void>;
}

export async function openCore(config: Readonly<Config>, o: CoreOptions): Promise<Core> {
  const { log, limits } = o;
  const { instance, followsClock } = await ensureStore(
    config,
    { info: (msg) => log.info(msg) },
    { demo: wantsDemo(config.live) },
  );
  // Enough connections for the app's slots: a slot without a connection would only wait.
  const pool = new LanePool(instance, Math.max(limits.poolSize, limits.appSlots));
  // Its own connection, so a scrape never queues behind a push recomputation on the pool.
  const probeLane = new ConnLane(instance);
  const duckMemory = new DuckMemoryProbe(probeLane);
  const marks = await pool.withConn(readWatermark);
  if (!marks)
    log.warn({ dataDir: config.dataDir }, 'the store holds no prices yet: answers are empty until data arrives');
  const feed = feedInfo(config.live, config.replaySeconds, followsClock);
  const demoStore = (await pool.withConn(readMeta)).source === 'demo';
  const alerts = await pool.withConn((c) => AlertLog.open(c, marks?.watermark ?? 0, demoStore));
  const market = new Market(marks?.watermark, marks?.firstTs, await pool.withConn(readGeneration));
  const ownCache = o.cache === undefined;
  const cache = o.cache === false ? undefined : (o.cache ?? serverCache(config, o.lruMb ?? config.lruMb, log));
  const gate = new Gate(
    limits.maxColdQueries,
    limits.maxQueuedQueries,
    limits.maxSessionQueue,
    Math.max(limits.maxColdQueries, limits.appSlots),
  );
  const answerer = new Answerer(market, cache, gate, { advance: config.advance });
  // Warmup and the hot refresh borrow the pool's connections but wait for everything else (server/fair-gate.ts idle).
  const answerPath = answerer.path(idleOn(pool));
  const unbind = bindSources({
    coldQueries: () => ({ running: gate.running, queued: gate.queued }),
    cache: () => cache,
    // This process owns the DuckDB (with WORKERS > 1 the workers report 0 and /metrics sums).
    duckdbMemory: () => duckMemory.read(),
  });
  void duckMemory.read(); // so the first /healthz has a figure

  let live: LiveHandle | undefined;
  // Writes go through one connection: ingest runs one file at a time per connection (server/store/ingest.ts), so
  // the live feed and the admin ingest never write at once (two transactions bumping the data version would conflict).
  let writer: { conn: DuckDBConnection; pipeline: Pipeline; batches: Coalescer } | undefined;
  /** The admin ingest in progress, waited for before the writer closes. */
  let uploading: Promise<unknown> = Promise.resolve();
  const hotList = hotListKeeper(config.cacheDir, log);
  let hotSaver: NodeJS.Timeout | undefined;
  let warmup: WarmupSummary | undefined;
  const stopWarmup = new AbortController();
  let warmed: Promise<WarmupSummary | undefined> = Promise.resolve(undefined);
  let feedsStopped: Promise<void> | undefined;
  let closed: Promise<void> | undefined;
  const stopFeeds = () =>
    (feedsStopped ??= (async () => {
      stopWarmup.abort();
      await live?.stop();
    })());

  async function ingestUpload(path: string, name: string): Promise<FileReport> {
    if (!writer || feedsStopped) throw new Error('the server is starting or stopping; try again shortly');
    const w = writer;
    const end = w.batches.begin();
    try {
      await queriesFirst(gate);
      const report = await ingestPath(w.conn, path, { scratchDir: join(config.dataDir, 'uploads') });
      if (report.window)
        w.batches.add({
          source: ADMIN_SOURCE,
          files: [name],
          rows: report.rows,
          window: report.window,
          ingestedAt: performance.now(),
        });
      return report;
    } finally {
      end();
    }
  }

  return {
    instance,
    pool,
    market,
    feed,
    cache,
    answerer,
    answerPath,
    alerts,
    get live() {
      return live;
    },
    get warmup() {
      return warmup;
    },
    get warmed() {
      return warmed;
    },
    health: () => {
      const marks = feed.source === 'aemo' ? live?.sources() : undefined;
      const sources = marks && sourceLags(marks, Date.now() / 1000, config.sourceLateS);
      return { duckdbMemoryBytes: duckMemory.last, store: storeHealth(instance).state, ...(sources && { sources }) };
    },
    flushAllocator: () => {
      probeLane
        .withConn((c) => c.run(`SET memory_limit = '${config.memoryLimit}'`))
        .catch((err: unknown) => log.warn({ err }, 'allocator flush failed'));
    },
    async start(pusher) {
      // Kept on disk as it goes too, not only at shutdown: a killed process restarts as warm as a stopped one.
      if (cache && ownCache && config.hotSaveS > 0)
        hotSaver = setInterval(() => hotList.keep(cache, market.watermark), config.hotSaveS * 1000).unref();
      // After listening, so sockets are answered meanwhile (each warmup query yields to them).
      if (config.warm && answerPath && market.hasData)
        warmed = bootWarmup(answerPath, stopWarmup.signal, log, loadHotList(config.cacheDir)).then(
          (summary) => (warmup = summary),
        );
      const conn = await instance.connect();
      const deps = { market, pusher, answerPath, log };
      try {
        live = await startLive(instance, config, { ...deps, alerts, ...o.live, conn });
      } catch (err) {
        log.error({ err, live: config.live }, 'live feed did not start; serving the stored data without updates');
      }
      const pipeline = live?.pipeline ?? new Pipeline(conn, deps);
      const batches = new Coalescer(async (batch) => {
        const advanced = await pipeline.advance(batch).catch((err: unknown) => {
          log.error({ err }, 'admin ingest: moving the market on failed');
        });
        advanced?.pushed.catch((err: unknown) => log.error({ err }, 'admin ingest: pushing failed'));
      });
      writer = { conn, pipeline, batches };
    },
    ingestUpload(path, name) {
      const run = ingestUpload(path, name);
      uploading = run.catch(() => undefined);
      return run;
    },

    stopFeeds,
    close: () =>
      (closed ??= (async () => {
        await stopFeeds();
        await warmed;
        await uploading;
        await writer?.batches.cancel();
        await writer?.pipeline.settled();
        writer?.conn.closeSync();
        await Promise.all([pool.close(), probeLane.close()]);
        clearInterval(hotSaver);
        if (cache && ownCache) hotList.keep(cache, market.watermark);
        if (ownCache) await cache?.close();
        else await cache?.flush();
        closeIdleConnections(instance);
        instance.closeSync();
        unbind();
      })()),
  };
}

/**
 * Keeps what clients asked lately for the next start's warmup (warmup/hot-list.ts); failing to write it costs only
 * that, and is warned of once until a write succeeds again (a full disk would otherwise warn every HOT_SAVE_S).
 */
function hotListKeeper(dir: string, log: Logger): { keep(cache: TieredCache, watermark: number): void } {
  let failing = false;
  return {
    keep(cache, watermark) {
      try {
        saveHotList(dir, cache.hot.top(watermark, HOT_LIMIT));
        failing = false;
      } catch (err) {
        if (!failing) log.warn({ err, dir }, 'could not keep the asked questions for the next warmup');
        failing = true;
      }
    },
  };
}

/** Longest an admin ingest waits for interactive queries to go first: past it, it goes anyway (no starvation). */
const QUERIES_FIRST_MS = 2000;

/** Waits until no interactive query waits for a cold-query slot, or QUERIES_FIRST_MS. */
async function queriesFirst(gate: Gate): Promise<void> {
  const until = performance.now() + QUERIES_FIRST_MS;
  while (gate.queued > 0 && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** `pool` as an owner of idle work: its own turns at the gate, the same connections. */
function idleOn(pool: LanePool): ConnHolder {
  return {
    background: true,
    idle: true,
    get closed() {
      return pool.closed;
    },
    width: pool.width,
    withConn: (fn) => pool.withConn(fn),
  };
}
