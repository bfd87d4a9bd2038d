import { describe, expect, it } from 'vitest';
import { entrySize, LruTier } from './lru.ts';

const bytes = (n: number, size: number) => new Uint8Array(size).fill(n & 255);

describe('LruTier', () => {
  it('never holds more bytes than its cap under a flood of distinct entries', () => {
    const cap = 1 << 20;
    const lru = new LruTier({ maxBytes: cap });
    let stored = 0;
    for (let n = 0; n < 5000; n++) {
      const size = 10 + ((n * 7919) % 20_000);
      lru.set(`k${n}`, bytes(n, size));
      stored += size;
      expect(lru.bytes).toBeLessThanOrEqual(cap);
    }
    expect(stored).toBeGreaterThan(20 * cap);
    const held = lru.keys().reduce((sum, k) => sum + lru.get(k)!.byteLength, 0);
    expect(held).toBeLessThanOrEqual(cap);
    expect(lru.evictions).toBe(5000 - lru.entries);
  });

  it('evicts the least recently used entry first; a read counts as a use', () => {
    const size = 1000;
    const evicted: string[] = [];
    const watched = new LruTier({ maxBytes: 4 * entrySize('k0', bytes(0, size)), onEvict: (key) => evicted.push(key) });
    for (let n = 0; n < 4; n++) watched.set(`k${n}`, bytes(n, size));
    watched.get('k0');
    watched.set('k4', bytes(4, size));
    watched.set('k5', bytes(5, size));
    expect(evicted).toEqual(['k1', 'k2']);
    expect(watched.keys()).toEqual(['k5', 'k4', 'k0', 'k3']);
  });

  it('refuses an answer larger than a quarter of the cap instead of flushing everything else', () => {
    const lru = new LruTier({ maxBytes: 100_000 });
    lru.set('small', bytes(1, 100));
    expect(lru.set('huge', bytes(2, 30_000))).toBe(false);
    expect(lru.get('huge')).toBeUndefined();
    expect(lru.get('small')).toEqual(bytes(1, 100));
  });

  it('stores a view into a larger buffer as its own copy, so the pool it came from is not pinned', () => {
    const pool = new Uint8Array(64 * 1024).fill(7);
    const lru = new LruTier({ maxBytes: 1 << 20 });
    lru.set('view', pool.subarray(100, 200));
    const got = lru.get('view')!;
    expect(got.buffer.byteLength).toBe(100);
    expect(got).toEqual(pool.subarray(100, 200));
  });
});
