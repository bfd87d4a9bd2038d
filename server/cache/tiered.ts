// The cache facade: LRU in front of LMDB. What goes in and out is the encoded `data` payload of a result frame,
// so a hit is a lookup and a send. Computing a miss is the caller's (server/answer.ts, warmup/answer-path.ts),
// through server/flight.ts's single flight.
import { DiskTier } from './disk.ts';
import { HotTracker } from './hot.ts';
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
  /** Told about failed disk writes (the answer is still served from memory). */
  onError?: (err: unknown, what: string) => void;
}

type AnyKey = CacheKey | string;

/** The server's cache: `lruMb` of memory in front of LMDB under CACHE_DIR (LMDB_MB); write failures are logged. */
export function serverCache(config: Pick<Config, 'cacheDir' | 'lmdbMb'>, lruMb: number, log: Logger): TieredCache {
  return new TieredCache({
    lruBytes: lruMb * (1 << 20),
    diskPath: config.cacheDir,
    diskBytes: config.lmdbMb * (1 << 20),
    onError: (err, what) => log.error({ err, what }, 'cache write failed; answer served from memory'),
  });
}

export class TieredCache implements CacheGauges {
  readonly lru: LruTier;
  readonly disk: DiskTier | undefined;
  readonly stats = new CacheStats();
  readonly hot = new HotTracker();
  private readonly onError: TieredCacheOptions['onError'];

  constructor(opts: TieredCacheOptions) {
    this.lru = new LruTier({ maxBytes: opts.lruBytes });
    this.disk = opts.diskPath ? new DiskTier({ path: opts.diskPath, maxBytes: opts.diskBytes ?? 1024 << 20 }) : undefined;
    this.onError = opts.onError;
  }

  /** LRU first, then LMDB (a disk hit is promoted into the LRU). Counts a miss when neither has it. */
  get(key: AnyKey): CacheHit | undefined {
    const hit = this.peek(key);
    if (typeof key !== 'string') this.hot.record(key);
    if (hit) this.stats.hits[hit.tier]++;
    else this.stats.misses++;
    return hit;
  }

  /** Stores in both tiers; resolves when the disk write commits (never rejects: failures are counted). */
  set(key: AnyKey, bytes: Uint8Array): Promise<void> {
    const text = keyText(key);
    this.lru.set(text, bytes);
    if (!this.disk) return Promise.resolve();
    return this.disk.set(text, bytes).catch((err) => {
      this.stats.diskWriteErrors++;
      this.onError?.(err, 'lmdb write');
    });
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

  private peek(key: AnyKey): CacheHit | undefined {
    const text = keyText(key);
    const mem = this.lru.get(text);
    if (mem) return { bytes: mem, tier: 'lru' };
    const stored = this.disk?.get(text);
    if (!stored) return undefined;
    this.lru.set(text, stored);
    return { bytes: stored, tier: 'lmdb' };
  }
}

function keyText(key: AnyKey): string {
  return typeof key === 'string' ? key : key.text;
}
