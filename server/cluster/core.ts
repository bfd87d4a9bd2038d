// The supervisor's store side (WORKERS > 1): the one DuckDB instance of the deployment, its connections, the
// market, and the answer path every worker's cache misses end in (single flight and the cold-query gate are
// therefore deployment-wide), with its own LRU share in front of the shared LMDB.
import type { DuckDBInstance } from '@duckdb/node-api';
import type { AnswerPath } from '../answer-path.ts';
import { DEFAULT_LIMITS } from '../limits.ts';
import { Answerer } from '../answer.ts';
import { serverCache } from '../cache/tiered.ts';
import type { Config } from '../config.ts';
import { LanePool } from '../lane.ts';
import { Gate } from '../limiter.ts';
import type { Logger } from '../log.ts';
import { wantsDemo } from '../live/feed.ts';
import { Market } from '../market.ts';
import { bindSources, DuckMemoryProbe } from '../metrics.ts';
import { readWatermark } from '../store/db.ts';
import { ensureStore } from '../store/ensure-store.ts';
import { readGeneration } from '../store/version.ts';

export interface Core {
  instance: DuckDBInstance;
  pool: LanePool;
  market: Market;
  answerer: Answerer;
  answerPath: AnswerPath;
  close(): Promise<void>;
}

export async function openCore(config: Readonly<Config>, lruMb: number, log: Logger): Promise<Core> {
  const { instance } = await ensureStore(config, { info: (msg) => log.info(msg) }, { demo: wantsDemo(config.live) });
  const pool = new LanePool(instance, DEFAULT_LIMITS.poolSize);
  const marks = await pool.withConn(readWatermark);
  if (!marks)
    log.warn({ dataDir: config.dataDir }, 'the store holds no prices yet: answers are empty until data arrives');
  const market = new Market(marks?.watermark, marks?.firstTs, await pool.withConn(readGeneration));
  const cache = serverCache(config, lruMb, log);
  const gate = new Gate(config.maxColdQueries, config.maxQueuedQueries);
  const answerer = new Answerer(market, cache, gate);
  const answerPath = answerer.path(pool)!;
  const duckMemory = new DuckMemoryProbe(pool);
  // Sessions live in the workers; this process reports its queries and cache (combined into /metrics).
  const unbind = bindSources({
    sessions: () => 0,
    duckdbConnections: () => 0,
    subscriptions: () => 0,
    coldQueries: () => ({ running: gate.running, queued: gate.queued }),
    cache: () => cache,
    // This process owns the DuckDB, so it reports nemlive_duckdb_memory_bytes (workers report 0; /metrics sums).
    duckdbMemory: () => duckMemory.read(),
  });
  let closed: Promise<void> | undefined;
  return {
    instance,
    pool,
    market,
    answerer,
    answerPath,
    close: () =>
      (closed ??= (async () => {
        await pool.close();
        await cache.close();
        instance.closeSync();
        unbind();
      })()),
  };
}
