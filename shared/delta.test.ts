// Push deltas: for any two values, applying diff(prev, next) to prev rebuilds next (deep-equal and byte-identical
// once encoded) without touching prev, over seeded random data of many shapes; slid windows become small array
// deltas; deltas that do not fit the data are refused.
import { describe, expect, it } from 'vitest';
import { applyDelta, diff, DeltaError, MAX_DROP, type Delta } from './delta.ts';
import { decode, encode } from './protocol.ts';
import { rng } from './rng.ts';

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

function scalar(r: Rand): unknown {
  switch (int(r, 9)) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return int(r, 1000) - 500;
    case 3:
      return pick(r, ['', 'SA1', 'Coal', 'Rooftop Solar', 'ü∑']);
    case 4:
      return pick(r, [0, -0, NaN, 2 ** 40, -1e-9]);
    default:
      return Math.round(r() * 1e6) / 100;
  }
}

function column(r: Rand, n: number): unknown[] {
  const kind = int(r, 4);
  return Array.from({ length: n }, (_, i) =>
    kind === 0
      ? 1_700_000_000 + 300 * i
      : kind === 1
        ? r() < 0.3
          ? null
          : 0
        : kind === 2
          ? scalar(r)
          : Math.round(r() * 1e5) / 10,
  );
}

function value(r: Rand, depth: number): unknown {
  const k = depth > 3 ? 0 : int(r, 6);
  if (k <= 1) return scalar(r);
  if (k === 2) return column(r, int(r, 40));
  if (k === 3) return Array.from({ length: int(r, 5) }, () => value(r, depth + 1)); // rows of a table, mixed lists
  const out: Record<string, unknown> = {};
  for (let i = int(r, 6); i > 0; i--)
    out[pick(r, ['time', 'series', 'unit', 'rows', 'a', 'o', 'r', 'panels', String(i)])] = value(r, depth + 1);
  return out;
}

/** The next answer: mostly the same data with series slid, revised, grown or shrunk, keys changed, types swapped. */
function mutate(r: Rand, v: unknown, depth: number): unknown {
  if (r() < 0.25) return v; // unchanged (often shared)
  if (r() < 0.08) return value(r, depth); // anything at all
  if (Array.isArray(v)) {
    const slide = pick(r, [0, 1, 1, 2, 5, MAX_DROP, MAX_DROP + 3, v.length]);
    const kept = v.slice(Math.min(slide, v.length)).map((x) => (r() < 0.1 ? mutate(r, x, depth + 1) : x));
    if (r() < 0.3 && kept.length > 0) kept[kept.length - 1] = scalar(r); // the last point revised
    const grown = Array.from({ length: int(r, 4) + (r() < 0.2 ? slide : 0) }, () => scalar(r));
    return r() < 0.1 ? kept.slice(0, int(r, kept.length + 1)) : kept.concat(grown);
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (r() > 0.05) out[k] = mutate(r, x, depth + 1);
    if (r() < 0.05) out[`new${int(r, 3)}`] = value(r, depth + 1);
    return out;
  }
  return r() < 0.5 ? scalar(r) : v;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

const bytes = (v: unknown) => Buffer.from(encode(v));
const wire = (v: unknown) => decode(encode(v));

describe('diff / applyDelta', () => {
  it('rebuilds next from prev for 3,000 seeded random pairs of many shapes, never mutating prev', () => {
    const r = rng(20260401);
    let deltas = 0;
    const tags = { o: 0, a: 0, r: 0 };
    const count = (d: Delta): void => {
      if ('o' in d) Object.values(d.o).forEach(count);
      tags[Object.keys(d)[0] as keyof typeof tags]++;
    };
    for (let i = 0; i < 3000; i++) {
      // Both as the server holds them: decoded from msgpack (which, for one, writes -0 as 0).
      const prev = deepFreeze(wire(value(r, 0)));
      const prevBytes = bytes(prev);
      const next = wire(mutate(r, prev, 0));
      const d = diff(prev, next);
      if (d === undefined) {
        expect(bytes(next)).toEqual(prevBytes);
        continue;
      }
      deltas++;
      count(d);
      // As the client gets it: through the codec.
      const rebuilt = applyDelta(prev, wire(d) as Delta); // prev is frozen: a write into it would throw here
      expect(rebuilt).toEqual(next);
      expect(bytes(rebuilt)).toEqual(bytes(next));
      expect(bytes(prev)).toEqual(prevBytes);
    }
    // The generator reaches every form many times (a test that only ever replaced would prove little).
    expect(deltas).toBeGreaterThan(1500);
    expect(Math.min(tags.o, tags.a, tags.r)).toBeGreaterThan(200);
  });

  it('says undefined for equal values, including NaN, and tells -0 from 0', () => {
    expect(
      diff({ a: [1, null, 'x', NaN], b: { c: true } }, { a: [1, null, 'x', NaN], b: { c: true } }),
    ).toBeUndefined();
    expect(diff([], [])).toBeUndefined();
    expect(diff(0, -0)).toEqual({ r: -0 });
  });

  it('sends a window slid by one point as drop 1, keep n-1 and the new point', () => {
    const time = Array.from({ length: 288 }, (_, i) => 1_700_000_000 + 300 * i);
    const rrp = time.map((_, i) => Math.sin(i) * 100);
    const prev = deepFreeze({ time, series: { SA1: rrp }, unit: '$/MWh' });
    const next = {
      time: [...time.slice(1), time.at(-1)! + 300],
      series: { SA1: [...rrp.slice(1), 42.5] },
      unit: '$/MWh',
    };
    const d = diff(prev, next);
    expect(d).toEqual({
      o: { time: { a: [1, 287, [time.at(-1)! + 300]] }, series: { o: { SA1: { a: [1, 287, [42.5]] } } } },
    });
    expect(encode(d).length).toBeLessThan(80);
    expect(applyDelta(prev, d!)).toEqual(next);
  });

  it('keeps the longest run: a revised last point goes in the tail, a constant column keeps its start', () => {
    expect(
      diff(
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
        [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 99, 18],
      ),
    ).toEqual({ a: [1, 15, [99, 18]] });
    const zeros = new Array(100).fill(0);
    expect(diff(zeros, [...zeros.slice(1), 0.5])).toEqual({ a: [0, 99, [0.5]] });
  });

  it('replaces when keeping saves nothing, or the keys or types changed', () => {
    expect(diff([1, 2, 3], [1, 9, 9])).toEqual({ r: [1, 9, 9] });
    expect(diff([1, 2, 3], [7, 8])).toEqual({ r: [7, 8] });
    expect(diff({ a: 1, b: 2 }, { b: 2, a: 1 })).toEqual({ r: { b: 2, a: 1 } }); // order counts: the bytes differ
    expect(diff({ a: 1 }, { a: 1, b: 2 })).toEqual({ r: { a: 1, b: 2 } });
    expect(diff([1], { 0: 1 })).toEqual({ r: { 0: 1 } });
    expect(diff({ a: [1, 2] }, { a: 'x' })).toEqual({ o: { a: { r: 'x' } } });
  });

  it('refuses a delta that does not fit the data, naming why', () => {
    const bad: [unknown, unknown][] = [
      [[1, 2], { a: [1, 2, []] }],
      [[1, 2], { a: [-1, 1, []] }],
      [[1, 2], { a: [0, 1] }],
      [{ x: 1 }, { a: [0, 0, []] }],
      [[1], { o: { 0: { r: 2 } } }],
      [{ x: 1 }, { o: { y: { r: 2 } } }],
      [{ x: 1 }, { o: { x: { q: 2 } } }],
      [{ x: 1 }, { r: 1, o: {} }],
      [{ x: 1 }, null],
    ];
    for (const [prev, d] of bad) expect(() => applyDelta(prev, d as Delta), JSON.stringify(d)).toThrow(DeltaError);
  });
});
