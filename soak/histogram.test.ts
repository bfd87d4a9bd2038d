import { describe, expect, it } from 'vitest';
import { bucketHigh, bucketIndex, Histogram, MAX_TRACKABLE_US } from './histogram.ts';
import { rng } from '../shared/rng.ts';

function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

describe('Histogram', () => {
  it('is exact below 128 µs', () => {
    const h = new Histogram();
    for (let v = 0; v < 128; v++) h.recordUs(v);
    expect(h.percentileUs(50)).toBe(63);
    expect(h.percentileUs(100)).toBe(127);
    expect(h.percentileUs(1)).toBe(1);
  });

  it('keeps every percentile within 1/64 of the exact sorted-array answer', () => {
    const r = rng(7);
    const values: number[] = [];
    const h = new Histogram();
    for (let i = 0; i < 50_000; i++) {
      // Log-normal-ish latencies from 50 µs to ~1 s, the shape a soak produces.
      const us = Math.round(50 * Math.exp(r() * r() * 10));
      values.push(us);
      h.recordUs(us);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9, 100]) {
      const exact = exactPercentile(values, p);
      const got = h.percentileUs(p);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect((got - exact) / exact).toBeLessThanOrEqual(1 / 64);
    }
    expect(h.maxUs).toBe(values[values.length - 1]);
    expect(h.minUs).toBe(values[0]);
    expect(h.meanMs()).toBeCloseTo(values.reduce((s, v) => s + v, 0) / values.length / 1000, 9);
  });

  it('maps each value to a bucket whose range contains it, in increasing order', () => {
    let prev = -1;
    for (const v of [0, 1, 127, 128, 129, 130, 255, 256, 257, 1000, 65_535, 65_536, 1e6, 2 ** 30, MAX_TRACKABLE_US]) {
      const i = bucketIndex(v);
      expect(i).toBeGreaterThanOrEqual(prev);
      expect(bucketHigh(i)).toBeGreaterThanOrEqual(v);
      if (i > 0) expect(bucketHigh(i - 1)).toBeLessThan(v);
      prev = i;
    }
  });

  it('merges snapshots from several processes into the same answer as one histogram', () => {
    const r = rng(3);
    const whole = new Histogram();
    const parts = [new Histogram(), new Histogram(), new Histogram()];
    for (let i = 0; i < 9000; i++) {
      const ms = r() * 40;
      whole.recordMs(ms);
      parts[i % 3].recordMs(ms);
    }
    const merged = new Histogram();
    for (const p of parts) merged.merge(JSON.parse(JSON.stringify(p.snapshot())));
    expect(merged.snapshot()).toEqual(whole.snapshot());
    expect(merged.percentileMs(99)).toBe(whole.percentileMs(99));
  });

  it('answers 0 when empty and clamps absurd values instead of throwing', () => {
    const h = new Histogram();
    expect(h.percentileMs(99)).toBe(0);
    expect(h.meanMs()).toBe(0);
    h.recordUs(-5);
    h.recordUs(1e18);
    expect(h.count).toBe(2);
    expect(h.percentileUs(1)).toBe(0);
    expect(h.percentileUs(100)).toBe(MAX_TRACKABLE_US);
  });
});
