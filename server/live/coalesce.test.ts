// Batches coming one after another are told as one once they stop (or at the longest wait), their files, rows and
// windows together; cancel drops what is pending.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from './coalesce.ts';
import type { Batch } from './intake.ts';

const batch = (file: string, minTs: number, maxTs: number, rows: number): Batch => ({
  source: 'admin',
  files: [file],
  rows: { scada: rows },
  window: { minTs, maxTs },
  ingestedAt: 0,
});

describe('Coalescer', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('tells batches one after another as one, once they stop coming', async () => {
    const told: Batch[] = [];
    const c = new Coalescer(async (b) => void told.push(b), 1000, 10_000);
    c.add(batch('a', 300, 600, 2));
    await vi.advanceTimersByTimeAsync(900);
    c.add(batch('b', 0, 300, 3));
    await vi.advanceTimersByTimeAsync(900);
    expect(told).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(told).toEqual([{ ...batch('b', 0, 600, 5), files: ['a', 'b'] }]);
  });

  it('tells at the longest wait even while batches keep coming, and drops what is pending on cancel', async () => {
    const told: Batch[] = [];
    const c = new Coalescer(async (b) => void told.push(b), 1000, 2500);
    for (let i = 0; i < 5; i++) {
      c.add(batch(`f${i}`, i, i, 1));
      await vi.advanceTimersByTimeAsync(600);
    }
    expect(told.map((b) => b.files)).toEqual([['f0', 'f1', 'f2', 'f3', 'f4']]);
    c.add(batch('late', 9, 9, 1));
    await c.cancel();
    await vi.advanceTimersByTimeAsync(5000);
    expect(told).toHaveLength(1);
  });

  it('waits for an ingest under way before the quiet period starts, but not past the longest wait', async () => {
    const told: Batch[] = [];
    const c = new Coalescer(async (b) => void told.push(b), 1000, 10_000);
    c.add(batch('price', 0, 300, 1));
    const end = c.begin(); // a month of SCADA takes longer than the quiet period
    await vi.advanceTimersByTimeAsync(5000);
    expect(told).toEqual([]);
    c.add(batch('scada', 0, 300, 2));
    end();
    end(); // ending twice counts once
    await vi.advanceTimersByTimeAsync(900);
    expect(told).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(told.map((b) => b.files)).toEqual([['price', 'scada']]);

    c.add(batch('next', 600, 900, 1));
    const slow = c.begin();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(told.map((b) => b.files)).toEqual([['price', 'scada'], ['next']]);
    slow();
  });
});
