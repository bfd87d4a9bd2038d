// The in-memory tier: encoded answers by key, bounded in bytes (LRU_MB), least recently used evicted first.
import { LRUCache } from 'lru-cache';

/** Bookkeeping per entry beyond its bytes (key string, list node, map slot); keeps the cap honest for small answers. */
const ENTRY_OVERHEAD = 96;

export interface LruTierOptions {
  maxBytes: number;
  /** Called for each entry pushed out to make room (not for deletes or overwrites). */
  onEvict?: (key: string, bytes: number) => void;
}

export class LruTier {
  readonly maxBytes: number;
  private readonly cache: LRUCache<string, Uint8Array>;
  evictions = 0;

  constructor(opts: LruTierOptions) {
    if (!(opts.maxBytes > 0)) throw new Error(`LRU maxBytes must be positive, got ${opts.maxBytes}`);
    this.maxBytes = opts.maxBytes;
    this.cache = new LRUCache<string, Uint8Array>({
      maxSize: opts.maxBytes,
      // One answer may not take more than a quarter of the tier: a huge answer would flush everything else.
      maxEntrySize: Math.max(1, Math.floor(opts.maxBytes / 4)),
      sizeCalculation: (value, key) => entrySize(key, value),
      dispose: (value, key, reason) => {
        if (reason !== 'evict') return;
        this.evictions++;
        opts.onEvict?.(key, value.byteLength);
      },
    });
  }

  get(key: string): Uint8Array | undefined {
    return this.cache.get(key);
  }

  has(key: string): boolean {
    return this.cache.has(key);
  }

  /** Stores `bytes` (copied to an exact-size buffer if it is a view into a larger one); false if too large to keep. */
  set(key: string, bytes: Uint8Array): boolean {
    const own = ownBytes(bytes);
    if (entrySize(key, own) > this.cache.maxEntrySize) return false;
    this.cache.set(key, own);
    return true;
  }

  delete(key: string): boolean {
    return this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }

  /** Bytes accounted to live entries (values + per-entry overhead); never above maxBytes. */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  get entries(): number {
    return this.cache.size;
  }

  /** Keys from most to least recently used. */
  keys(): string[] {
    return [...this.cache.keys()];
  }
}

export function entrySize(key: string, value: Uint8Array): number {
  return value.byteLength + key.length * 2 + ENTRY_OVERHEAD;
}

/** A view into a shared pool (msgpackr's output, Buffer slabs) would pin the whole pool in the cache. */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength) return bytes;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
