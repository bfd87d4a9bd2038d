import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, expect, it } from 'vitest';
import { registerCacheMetrics } from './metrics.ts';
import { TieredCache } from './tiered.ts';

const dir = mkdtempSync(join(tmpdir(), 'nemlive-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('exports hits per tier, misses, bytes per tier and evictions, counting across scrapes', async () => {
  const cache = new TieredCache({ lruBytes: 64 << 10, diskPath: dir, diskBytes: 16 << 20 });
  const registry = new Registry();
  registerCacheMetrics(registry, () => cache);
  const value = async (name: string, labels = '') => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };

  expect(cache.get('a')).toBeUndefined();
  await cache.set('a', new Uint8Array(1000));
  cache.get('a');
  expect(await value('nemlive_cache_misses_total')).toBe(1);
  expect(await value('nemlive_cache_hits_total', '{tier="lru"}')).toBe(1);

  cache.lru.clear();
  cache.get('a'); // from LMDB, promoted
  cache.get('a'); // from the LRU
  for (let i = 0; i < 40; i++) await cache.set(`big${i}`, new Uint8Array(10_000)); // pushes 'a' out of the 64 KB LRU
  expect(await value('nemlive_cache_hits_total', '{tier="lru"}')).toBe(2);
  expect(await value('nemlive_cache_hits_total', '{tier="lmdb"}')).toBe(1);
  expect(await value('nemlive_cache_evictions_total', '{tier="lru"}')).toBe(cache.lru.evictions);
  expect(cache.lru.evictions).toBeGreaterThan(0);
  expect(await value('nemlive_cache_bytes', '{tier="lru"}')).toBe(cache.lru.bytes);
  expect(await value('nemlive_cache_bytes', '{tier="lmdb"}')).toBe(cache.disk!.usedBytes());
  expect(await value('nemlive_warmup_queries', '{state="done"}')).toBe(0);
  await cache.close();
});
