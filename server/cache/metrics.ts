// Cache counters: plain numbers on the hot path, exported to Prometheus on scrape (CONTRACT §2).
import { Counter, Gauge, type Registry } from 'prom-client';

export class CacheStats {
  hits = { lru: 0, lmdb: 0 };
  misses = 0;
  warmup = { running: 0, done: 0, total: 0 };
  /** Recomputations of the most asked questions after each new interval. */
  hotRefresh = { runs: 0, queries: 0 };
  /** Answers advanced from one cached at an earlier watermark instead of recomputed (server/advance.ts). */
  advanced = 0;
}

/** What the exporter reads from the running cache at scrape time. */
export interface CacheGauges {
  stats: CacheStats;
  lruBytes(): number;
  lmdbBytes(): number;
  lruEvictions(): number;
  lmdbEvictions(): number;
  lmdbCorrupt(): number;
  /** Failed LMDB write transactions. */
  lmdbWriteErrors(): number;
  /** False while LMDB writes are paused after a failure (answers still served from memory and DuckDB). */
  lmdbWritable(): boolean;
}

/** Registers the cache metrics on `registry`; `source()` gives the live cache (undefined before it opens). */
export function registerCacheMetrics(registry: Registry, source: () => CacheGauges | undefined): void {
  const counter = (
    name: string,
    help: string,
    labelNames: string[],
    read: (g: CacheGauges) => Record<string, number>,
  ) => {
    const last = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      // Counters only go up: add what happened since the last scrape.
      collect() {
        const g = source();
        if (!g) return;
        for (const [label, value] of Object.entries(read(g))) {
          const delta = value - (last.get(label) ?? 0);
          if (delta > 0) labelNames.length ? this.inc({ [labelNames[0]]: label }, delta) : this.inc(delta);
          last.set(label, value);
        }
      },
    });
  };
  counter('nemlive_cache_hits_total', 'Answers served from a cache tier', ['tier'], (g) => ({ ...g.stats.hits }));
  counter('nemlive_cache_misses_total', 'Lookups found in neither tier', [], (g) => ({ '': g.stats.misses }));
  counter('nemlive_cache_evictions_total', 'Entries evicted to stay within the byte caps', ['tier'], (g) => ({
    lru: g.lruEvictions(),
    lmdb: g.lmdbEvictions(),
  }));
  counter('nemlive_cache_corrupt_total', 'Damaged disk entries dropped instead of served', [], (g) => ({
    '': g.lmdbCorrupt(),
  }));
  counter('nemlive_cache_disk_write_errors_total', 'Failed LMDB write transactions', [], (g) => ({
    '': g.lmdbWriteErrors(),
  }));
  counter('nemlive_cache_hot_refresh_queries_total', 'Hot answers recomputed after new intervals', [], (g) => ({
    '': g.stats.hotRefresh.queries,
  }));
  counter('nemlive_cache_advanced_total', 'Answers advanced from an earlier watermark’s, not recomputed', [], (g) => ({
    '': g.stats.advanced,
  }));
  new Gauge({
    name: 'nemlive_cache_bytes',
    help: 'Bytes held per cache tier (LMDB: pages in use)',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      const g = source();
      if (!g) return;
      this.set({ tier: 'lru' }, g.lruBytes());
      this.set({ tier: 'lmdb' }, g.lmdbBytes());
    },
  });
  new Gauge({
    name: 'nemlive_cache_disk_ok',
    help: '1 while LMDB takes writes, 0 while they are paused after a disk failure (lowest over the processes)',
    registers: [registry],
    aggregator: 'min',
    collect() {
      const g = source();
      if (g) this.set(g.lmdbWritable() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'nemlive_warmup_queries',
    help: 'Warmup progress: queries done and in the current (or last) run',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const g = source();
      if (!g) return;
      this.set({ state: 'done' }, g.stats.warmup.done);
      this.set({ state: 'total' }, g.stats.warmup.total);
      this.set({ state: 'running' }, g.stats.warmup.running);
    },
  });
}
