// The deployment's /metrics from several processes' registries, and how MAX_SESSIONS is split over workers.
import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metric } from '../../test/server/harness.ts';
import { combineMetrics } from './combine.ts';
import { shareOf } from './supervisor.ts';

/** A process's registry as getMetricsAsJSON gives it. */
async function processJson(sessions: number, lru: number, lmdb: number, started: number): Promise<unknown[]> {
  const r = new Registry();
  new Gauge({ name: 'nemlive_sessions', help: 's', registers: [r] }).set(sessions);
  const bytes = new Gauge({ name: 'nemlive_cache_bytes', help: 'b', labelNames: ['tier'], registers: [r] });
  bytes.set({ tier: 'lru' }, lru);
  bytes.set({ tier: 'lmdb' }, lmdb);
  new Counter({ name: 'nemlive_ws_messages_total', help: 'm', labelNames: ['direction'], registers: [r] }).inc(
    { direction: 'in' },
    sessions * 10,
  );
  new Gauge({ name: 'process_start_time_seconds', help: 't', registers: [r], aggregator: 'omit' }).set(started);
  return r.getMetricsAsJSON();
}

describe('combineMetrics', () => {
  it('sums sessions, frames and LRU bytes, counts the shared LMDB once, and keeps the oldest start time', async () => {
    const text = await combineMetrics(await processJson(0, 100, 5000, 1000), [
      await processJson(3, 10, 5000, 1005),
      await processJson(4, 20, 4990, 1001),
    ]);
    expect(metric(text, 'nemlive_sessions')).toBe(7);
    expect(metric(text, 'nemlive_ws_messages_total', 'direction="in"')).toBe(70);
    expect(metric(text, 'nemlive_cache_bytes', 'tier="lru"')).toBe(130);
    expect(metric(text, 'nemlive_cache_bytes', 'tier="lmdb"')).toBe(5000);
    expect(metric(text, 'process_start_time_seconds')).toBe(1000);
  });
});

describe('shareOf', () => {
  it('splits a total over seats so the shares add up to it exactly', () => {
    for (const [total, n] of [
      [20000, 3],
      [2, 2],
      [5, 4],
      [7, 7],
    ]) {
      const shares = Array.from({ length: n }, (_, seat) => shareOf(total, n, seat));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
  });
});
