// The cache facade: LRU in front of LMDB, single flight behind both. What goes in and out is the encoded
// `data` payload of a result frame, so a hit is a lookup and a send.
import type { CacheTier } from '../../shared/protocol.ts';
import { DiskTier } from './disk.ts';
import { SingleFlight } from './flight.ts';
import { HotTracker } from './hot.ts';
import type { CacheKey } from './key.ts';
import { LruTier, ownBytes } from './lru.ts';
import { CacheStats, type CacheGauges } from './metrics.ts';

export interface CacheHit {
  bytes: Uint8Array;
  tier: 'lru' | 'lmdb';
}

export interface CachedAnswer {
  bytes: Uint8Array;
  tier: CacheTier;
  /** Time this caller waited, milliseconds. */
  ms: number;
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

export class TieredCache implements CacheGauges {
  readonly lru: LruTier;
  readonly disk: DiskTier | undefined;
  readonly stats = new CacheStats();
  readonly hot = new HotTracker();
  private readonly flights = new SingleFlight<Uint8Array>();
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

  /**
   * The cached answer, or the result of `compute` stored in both tiers. Concurrent callers with the same key
   * share one compute; a failed compute is not cached and reaches every caller that shared it.
   */
  async getOrCompute(key: AnyKey, compute: () => Promise<Uint8Array>): Promise<CachedAnswer> {
    const t0 = performance.now();
    const hit = this.get(key);
    if (hit) return { bytes: hit.bytes, tier: hit.tier, ms: performance.now() - t0 };
    const text = keyText(key);
    const flight = this.flights.run(text, async () => {
      this.stats.computes++;
      try {
        // Callers keep these bytes after later encodes: never hand out a view into an encoder's buffer.
        const bytes = ownBytes(await compute());
        void this.set(key, bytes);
        return bytes;
      } catch (err) {
        this.stats.computeErrors++;
        throw err;
      }
    });
    if (flight.joined) this.stats.coalesced++;
    const bytes = await flight.promise;
    return { bytes, tier: 'db', ms: performance.now() - t0 };
  }

  /** Computations running now. */
  get inFlight(): number {
    return this.flights.size;
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
