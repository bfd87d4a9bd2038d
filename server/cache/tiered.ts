// The cache facade: LRU in front of LMDB. What goes in and out is the encoded `data` payload of a result frame,
// so a hit is a lookup and a send. Computing a miss is the caller's (server/answer.ts, warmup/store-path.ts),
// through server/flight.ts's single flight.
import { DiskTier } from './disk.ts';
import { HotTracker, type HotOptions } from './hot.ts';
import type { CacheKey } from './key.ts';
import { LruTier } from './lru.ts';
import { CacheStats, type CacheGauges } from './metrics.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';

export interface CacheHit {
  bytes: Uint8Array;
  tier: 'lru' | 'lmdb';
}

export interface TieredCacheOptions {
  lruBytes: number;
  /** LMDB directory (CACHE_DIR); without it the cache is memory-only. */
  diskPath?: string;
  diskBytes?: number;
  /** Told when the disk tier was rebuilt, stops taking writes or takes them again (answers are served meanwhile). */
  log?: CacheLog;
  /** First pause of disk writes after a failure (tests shorten it). */
  diskRetryMs?: number;
  /** Which questions the hot refresh recomputes (HOT_REFRESH, HOT_HORIZON_S). */
  hot?: HotOptions;
}

export interface CacheLog {
  warn(detail: object, msg: string): void;
  info(detail: object, msg: string): void;
}

type AnyKey = CacheKey | string;

/** The server's cache: `lruMb` of memory in front of LMDB under CACHE_DIR (LMDB_MB); write failures are logged. */
export function serverCache(
  config: Pick<Config, 'cacheDir' | 'lmdbMb' | 'hotRefresh' | 'hotHorizonS'>,
  lruMb: number,
  log: Logger,
): TieredCache {
  return new TieredCache({
    lruBytes: lruMb * (1 << 20),
    diskPath: config.cacheDir,
    diskBytes: config.lmdbMb * (1 << 20),
    log,
    hot: { policy: config.hotRefresh, horizonS: config.hotHorizonS },
  });
}

export class TieredCache implements CacheGauges {
  readonly lru: LruTier;
  readonly disk: DiskTier | undefined;
  readonly stats = new CacheStats();
  readonly hot: HotTracker;

  constructor(opts: TieredCacheOptions) {
    this.hot = new HotTracker(opts.hot);
    this.lru = new LruTier({ maxBytes: opts.lruBytes });
    this.disk = opts.diskPath ? openDisk(opts.diskPath, opts.diskBytes ?? 1024 << 20, opts) : undefined;
  }

  /**
   * LRU first, then LMDB (a disk hit is promoted into the LRU). Counts a miss when neither has it. `byClient`: a
   * client asked (false for the app's own work), which is what makes a question hot (server/cache/hot.ts).
   */
  get(key: AnyKey, byClient = true): CacheHit | undefined {
    const hit = this.peek(key);
    if (typeof key !== 'string') this.hot.record(key, byClient);
    if (hit) this.stats.hits[hit.tier]++;
    else this.stats.misses++;
    return hit;
  }

  /** Stores in both tiers; resolves when the disk write commits or is dropped (never rejects: failures are counted). */
  set(key: AnyKey, bytes: Uint8Array): Promise<void> {
    const text = keyText(key);
    this.lru.set(text, bytes);
    return this.disk?.set(text, bytes).catch(() => undefined) ?? Promise.resolve(); // rejects only once closed
  }

  /** Present in either tier, without counting, promoting or touching recency. */
  has(key: AnyKey): boolean {
    const text = keyText(key);
    return this.lru.has(text) || (this.disk?.has(text) ?? false);
  }

  async flush(): Promise<void> {
    await this.disk?.flush();
  }

  async close(): Promise<void> {
    await this.disk?.close();
  }

  lruBytes(): number {
    return this.lru.bytes;
  }
  lmdbBytes(): number {
    return this.disk?.usedBytes() ?? 0;
  }
  lruEvictions(): number {
    return this.lru.evictions;
  }
  lmdbEvictions(): number {
    return this.disk?.evictions ?? 0;
  }
  lmdbCorrupt(): number {
    return this.disk?.corrupt ?? 0;
  }
  lmdbWriteErrors(): number {
    return this.disk?.writeErrors ?? 0;
  }
  lmdbWritable(): boolean {
    return this.disk?.writable ?? true;
  }

  /** Like get, without counting a hit or miss or making the question hot (a disk hit is still promoted). */
  peek(key: AnyKey): CacheHit | undefined {
    const text = keyText(key);
    const mem = this.lru.get(text);
    if (mem) return { bytes: mem, tier: 'lru' };
    const stored = this.disk?.get(text);
    if (!stored) return undefined;
    this.lru.set(text, stored);
    return { bytes: stored, tier: 'lmdb' };
  }
}

/** The disk tier, or none (with a warning) when it cannot open: a full or failing disk must not stop the server. */
function openDisk(path: string, maxBytes: number, opts: TieredCacheOptions): DiskTier | undefined {
  const log = opts.log;
  try {
    return new DiskTier({
      path,
      maxBytes,
      retryMs: opts.diskRetryMs,
      onRebuilt: (problem) =>
        log?.warn({ cacheDir: path, problem }, 'LMDB cache file was damaged: deleted, rebuilding the cache from empty'),
      onWritesFailing: (err, retryMs) =>
        log?.warn(
          { cacheDir: path, err, retryMs },
          'LMDB cache writes failing (disk full?): answers served from memory and DuckDB, retrying later',
        ),
      onWritesResumed: () => log?.info({ cacheDir: path }, 'LMDB cache writes resumed'),
    });
  } catch (err) {
    log?.warn({ cacheDir: path, err }, 'LMDB cache cannot open: answers served from memory and DuckDB until a restart');
    return undefined;
  }
}

function keyText(key: AnyKey): string {
  return typeof key === 'string' ? key : key.text;
}
