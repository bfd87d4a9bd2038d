// The hot list decays: only clients' questions count, and only while asked within the horizon.
import { describe, expect, it } from 'vitest';
import { validateParams, type Kind, type ParamsOf } from '../../shared/kinds.ts';
import { HotTracker } from './hot.ts';
import { makeKey } from './key.ts';

const W = 1_800_000_000;
const key = (kind: Kind, raw: Record<string, unknown>, watermark: number) => {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(v.message);
  return makeKey(kind, v.params as ParamsOf<Kind>, watermark);
};
const tab = (region: string, w = W) => key('tab.nem', { region }, w);
const kinds = (t: HotTracker, w: number) => t.top(w, 100).map((q) => `${q.kind} ${JSON.stringify(q.params)}`);

describe('HotTracker, recent policy', () => {
  it('counts clients only: the app’s own work (a refresh, a push, a panel) never makes a question hot', () => {
    const t = new HotTracker({ horizonS: 60, now: () => 0 });
    t.record(tab('SA1'), false);
    t.record(tab('VIC1', W + 300), false);
    expect(t.top(W + 300, 10)).toEqual([]);
    t.record(tab('NSW1'), true);
    expect(kinds(t, W + 300)).toEqual(['tab.nem {"region":"NSW1"}']);
  });

  it('keeps a question asked at the last two watermarks or within the horizon, then forgets it', () => {
    let now = 0;
    const t = new HotTracker({ horizonS: 60, now: () => now });
    t.record(tab('SA1'), true);
    // Three intervals later, 30 s on: within the horizon, though not at the last two watermarks.
    now = 30_000;
    for (const w of [W + 300, W + 600]) t.top(w, 10);
    expect(kinds(t, W + 900)).toEqual(['tab.nem {"region":"SA1"}']);
    // 61 s on and three intervals later: gone, and it stays gone.
    now = 61_000;
    expect(t.top(W + 900, 10)).toEqual([]);
    expect(t.size).toBe(0);
    // Asked at the watermark just before: kept however long an interval takes (the real 5-minute cadence).
    t.record(tab('QLD1', W + 900), true);
    now = 400_000;
    expect(kinds(t, W + 1200)).toEqual(['tab.nem {"region":"QLD1"}']);
    expect(t.top(W + 1500, 10)).toEqual([]);
  });

  it('orders by asks that decay with age, and bounds the list by the limit', () => {
    let now = 0;
    const t = new HotTracker({ horizonS: 120, now: () => now });
    for (let i = 0; i < 4; i++) t.record(tab('SA1'), true); // 4 asks, a minute ago: half-life 60 s → 2
    now = 60_000;
    for (let i = 0; i < 3; i++) t.record(tab('VIC1'), true); // 3 asks now
    t.record(tab('TAS1'), true);
    expect(kinds(t, W)).toEqual(['tab.nem {"region":"VIC1"}', 'tab.nem {"region":"SA1"}', 'tab.nem {"region":"TAS1"}']);
    expect(t.top(W, 2)).toHaveLength(2);
    const [first] = t.top(W, 1);
    expect(first.count).toBeCloseTo(3, 9);
    expect(t.top(W, 3)[1].count).toBeCloseTo(2, 9);
  });

  it('never tracks fixed past windows', () => {
    const t = new HotTracker({ now: () => 0 });
    t.record(key('generation.byFuel', { from: W - 3 * 86400, to: W - 2 * 86400 }, W), true);
    expect(t.size).toBe(0);
  });
});

describe('HotTracker, every policy (the baseline before issue 16)', () => {
  it('counts every lookup, the app’s own included, at the last two watermarks', () => {
    const t = new HotTracker({ policy: 'every' });
    t.record(tab('SA1'), false);
    t.record(tab('SA1'), true);
    t.record(tab('VIC1', W + 300), false);
    expect(t.top(W + 300, 10).map((q) => q.count)).toEqual([2, 1]);
    t.record(tab('NSW1', W + 600), false);
    const regions = t.top(W + 900, 10).map((q) => (q.params as { region: string }).region);
    expect(regions.sort()).toEqual(['NSW1', 'VIC1']);
  });
});
