import { describe, expect, it } from 'vitest';
import { stackColumns } from './stack.ts';

describe('stackColumns', () => {
  it('stacks positives upward and negatives downward, so charging never cancels generation', () => {
    const coal = [100, 100, 100];
    const battery = [20, -30, 0];
    const wind = [50, 60, null];
    const s = stackColumns([coal, battery, wind]);
    expect(s.layers).toEqual([
      { src: 0, sign: 1 },
      { src: 1, sign: 1 },
      { src: 2, sign: 1 },
      { src: 1, sign: -1 },
    ]);
    expect(s.columns).toEqual([
      [100, 100, 100],
      [120, 100, 100],
      [170, 160, 100],
      [0, -30, 0],
    ]);
    // Each upward layer fills down to the one below it; the first of each sign fills to zero (no band).
    expect(s.bands).toEqual([{ series: [2, 1] }, { series: [3, 2] }]);
  });

  it('leaves a gap where every series is missing', () => {
    const s = stackColumns([
      [1, null, 3],
      [1, null, null],
    ]);
    expect(s.columns).toEqual([
      [1, null, 3],
      [2, null, 3],
    ]);
  });

  it('drops hidden series from the stack', () => {
    const s = stackColumns([[10], [5], [-4]], new Set([1]));
    expect(s.layers.map((l) => l.src)).toEqual([0, 2]);
    expect(s.columns).toEqual([[10], [-4]]);
  });

  it('hangs a second negative layer below the first', () => {
    const s = stackColumns([[-10], [-5]]);
    expect(s.columns).toEqual([[-10], [-15]]);
    expect(s.bands).toEqual([{ series: [1, 2] }]);
  });

  it('draws an over series as its own line after the stack, leaving the stack and its gaps alone', () => {
    const demand = [180, 150, null];
    const s = stackColumns([[100, 100, 100], demand, [50, 60, null]], new Set(), new Set([1]));
    expect(s.layers).toEqual([
      { src: 0, sign: 1 },
      { src: 2, sign: 1 },
      { src: 1, sign: 1, over: true },
    ]);
    expect(s.columns).toEqual([[100, 100, 100], [150, 160, 100], demand]);
    expect(s.bands).toEqual([{ series: [2, 1] }]);
  });
});
