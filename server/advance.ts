// Incremental advance: a trailing-window series at a new watermark from its answer at an older one (the cached bytes)
// and the new interval's slice, instead of recomputing the whole window. When intervals arrive after the old
// watermark and nothing before it changed (the same key generation: a revision moves to a new one), every point of a
// whole bucket before the one that held the old watermark is unchanged, so the new answer is
//   old points still inside the new window  ++  the kind computed over (start of that bucket, new watermark]
// — the push delta's [drop, keep, tail] made on the server. Only kinds whose every field is a time-aligned column, a
// value of the latest interval (window-independent) or the same for any window are listed; anything else (window
// totals, quantiles, tables) is recomputed. The result is the same object a full recomputation builds, so its encoding
// is the same bytes (server/advance.test.ts checks every kind over random windows and interval sequences).
import { RESOLUTION_SECONDS, validateParams, type Kind, type ParamsOf, type Resolution } from '../shared/kinds.ts';
import { dayOf, INTERVAL_S } from '../shared/nem.ts';
import { decode } from '../shared/protocol.ts';
import { mergeRecords, recordsAnswer, recordsState, type RecordsState } from './catalogue/demand.ts';
import { runQuery } from './catalogue/index.ts';
import type { QueryContext } from './catalogue/handler.ts';
import { dataWindow, seriesWindow } from './catalogue/window.ts';

interface Spliceable {
  /** Top-level arrays aligned with `time`, besides `time` and each of `series` (spliced the same way). */
  columns?: readonly string[];
  /** Fields about the latest interval whatever the window (taken from the slice). */
  latest?: readonly string[];
  /**
   * Top-level objects keyed like `series` whose entries hold these columns aligned with `time` (spliced) besides
   * fields that are the same for any window (taken from the slice).
   */
  perSeries?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The kinds advanced: each point is its own bucket's (5-minute interval, 30-minute or daily bucket) and nothing else is
 * a window aggregate. Checked against the handlers by the property test, not by the compiler.
 */
export const SPLICEABLE: Partial<Record<Kind, Spliceable>> = {
  'prices.history': {},
  'demand.history': {},
  'renewables.share': {},
  'batteries.fleet': { columns: ['socMwh', 'storageMwh'], latest: ['now'] },
  'interconnectors.flows': { perSeries: { links: ['exportLimit', 'importLimit'] } },
};

/** Intervals back a cached answer is looked for (a feed catching up after an outage hands over a dozen at once). */
export const MAX_BACK = 12;

/** Whether (kind, params) can be advanced: a listed kind over a window relative to the watermark. */
export function advanceable(kind: Kind, params: ParamsOf<Kind>): boolean {
  return SPLICEABLE[kind] !== undefined && (params as { from?: number }).from === undefined;
}

interface SeriesLike {
  time: number[];
  series: Record<string, unknown[]>;
  unit: string;
  resolution: Resolution;
  [field: string]: unknown;
}

/** The stamp of the bucket holding the interval that ends at `ts` (server/catalogue/window.ts stampOf). */
const bucketOf: Record<Resolution, (ts: number) => number> = {
  '5m': (ts) => ts,
  '30m': (ts) => Math.ceil(ts / 1800) * 1800,
  '1d': dayOf,
};
/** Where bucket `stamp` starts, as a window's `from` (intervals after it). */
const bucketFrom: Record<Resolution, (stamp: number) => number> = {
  '5m': (s) => s - 300,
  '30m': (s) => s - 1800,
  '1d': (s) => s,
};

/**
 * The answer at `ctx.watermark` from `prior` (the encoded answer to the same question at `priorWatermark`, same key
 * generation), computing only the slice from the bucket that held `priorWatermark`; undefined when the answers do not
 * line up (then the caller recomputes).
 */
export async function advanceAnswer(
  ctx: QueryContext,
  kind: Kind,
  params: ParamsOf<Kind>,
  prior: { watermark: number; bytes: Uint8Array },
): Promise<unknown> {
  const spec = SPLICEABLE[kind];
  if (!spec || !advanceable(kind, params) || prior.watermark >= ctx.watermark) return undefined;
  const old = decode(prior.bytes) as SeriesLike;
  const win = seriesWindow(ctx, params as { range?: never; resolution?: string });
  const res = win.res;
  if (old.resolution !== res || win.times.length === 0) return undefined;
  const step = RESOLUTION_SECONDS[res];
  const from = bucketOf[res](prior.watermark);
  // The new window starts after the old watermark's bucket: nothing to keep.
  if (win.first > from) return undefined;
  const kept = (from - win.first) / step;
  const skip = (win.first - (old.time[0] ?? Number.NaN)) / step;
  if (!Number.isInteger(skip) || skip < 0 || skip + kept > old.time.length || old.time[skip + kept] !== from)
    return undefined;
  const sliced = validateParams(kind, {
    ...params,
    range: undefined,
    from: bucketFrom[res](from),
    to: ctx.watermark,
    resolution: res,
  });
  if (!sliced.ok) return undefined;
  const tail = (await runQuery(ctx, kind, sliced.params as ParamsOf<Kind>)) as SeriesLike;
  if (tail.time[0] !== from || tail.time.at(-1) !== win.last || tail.resolution !== res) return undefined;

  const keys = Object.keys(old);
  if (!sameKeys(keys, Object.keys(tail))) return undefined;
  const seriesNames = Object.keys(old.series);
  if (!sameKeys(seriesNames, Object.keys(tail.series))) return undefined;
  const splice = (a: unknown, b: unknown): unknown[] | undefined =>
    Array.isArray(a) && Array.isArray(b) && a.length === old.time.length && b.length === tail.time.length
      ? a.slice(skip, skip + kept).concat(b)
      : undefined;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (k === 'time') out.time = win.times;
    else if (k === 'series') {
      const series: Record<string, unknown[]> = {};
      for (const name of seriesNames) {
        const col = splice(old.series[name], tail.series[name]);
        if (!col) return undefined;
        series[name] = col;
      }
      out.series = series;
    } else if (spec.columns?.includes(k)) {
      const col = splice(old[k], tail[k]);
      if (!col) return undefined;
      out[k] = col;
    } else if (spec.perSeries?.[k]) {
      const entries = splicePerSeries(old[k], tail[k], spec.perSeries[k], splice);
      if (!entries) return undefined;
      out[k] = entries;
    } else if (spec.latest?.includes(k)) out[k] = tail[k];
    else if (k === 'unit' || k === 'resolution') {
      if (old[k] !== tail[k]) return undefined;
      out[k] = old[k];
    } else return undefined;
  }
  return out;
}

type Entries = Record<string, Record<string, unknown>>;

/** `old` and `tail`'s entries (the same names) with `fields` spliced and the rest taken from the tail's. */
function splicePerSeries(
  old: unknown,
  tail: unknown,
  fields: readonly string[],
  splice: (a: unknown, b: unknown) => unknown[] | undefined,
): Entries | undefined {
  const a = old as Entries;
  const b = tail as Entries;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return undefined;
  if (!sameKeys(Object.keys(a), Object.keys(b))) return undefined;
  const out: Entries = {};
  for (const [name, entry] of Object.entries(b)) {
    const spliced = { ...entry };
    for (const f of fields) {
      const col = splice(a[name][f], entry[f]);
      if (!col) return undefined;
      spliced[f] = col;
    }
    out[name] = spliced;
  }
  return out;
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/**
 * A kind whose answer is made from a state that two adjoining spans' states merge into exactly (sums of whole
 * millionths, extremes with the earliest interval on a tie): over a window that only grows at its end (all the data),
 * the state at a new watermark is the state at an older one merged with the new intervals'. The state is kept beside
 * the cached answer, which holds only rounded figures.
 */
interface Accumulating<P, S extends { lo: number; hi: number }> {
  /** The window (lo, hi] when it starts where the data does whatever the watermark; undefined otherwise. */
  grows(ctx: QueryContext, params: P): { lo: number; hi: number } | undefined;
  state(ctx: QueryContext, params: P, lo: number, hi: number): Promise<S>;
  merge(older: S, newer: S): S;
  answer(params: P, state: S): unknown;
}

const RECORDS: Accumulating<ParamsOf<'demand.records'>, RecordsState> = {
  grows: (ctx, p) => {
    if (p.range !== 'all' || p.from !== undefined || p.to !== undefined) return undefined;
    const w = dataWindow(ctx, p);
    return { lo: w.from, hi: w.to };
  },
  state: recordsState,
  merge: mergeRecords,
  answer: recordsAnswer,
};

const ACCUMULATING: { [K in Kind]?: Accumulating<ParamsOf<K>, { lo: number; hi: number }> } = {
  'demand.records': RECORDS,
};

/** Whether (kind, params) is answered through accumulate. */
export function accumulates(kind: Kind): boolean {
  return ACCUMULATING[kind] !== undefined;
}

/** States of accumulated answers by cache key text, the most recently stored kept (a few KB each). */
export class States {
  private readonly byKey = new Map<string, { lo: number; hi: number }>();
  constructor(private readonly max = 512) {}
  get(key: string): { lo: number; hi: number } | undefined {
    return this.byKey.get(key);
  }
  set(key: string, state: { lo: number; hi: number }): void {
    this.byKey.delete(key);
    this.byKey.set(key, state);
    if (this.byKey.size > this.max) this.byKey.delete(this.byKey.keys().next().value!);
  }
}

/**
 * The answer of an accumulating kind at `ctx.watermark`, from the state kept under its key at one of the MAX_BACK
 * watermarks before (same key generation: a revision names a new one) merged with the new intervals' state, or from a
 * state over the whole window; the state is kept under `keyOf(ctx.watermark)`. undefined: not a growing window.
 */
export async function accumulate(
  ctx: QueryContext,
  kind: Kind,
  params: ParamsOf<Kind>,
  states: States,
  keyOf: (watermark: number) => string,
): Promise<{ data: unknown; advanced: boolean } | undefined> {
  const acc = ACCUMULATING[kind] as Accumulating<ParamsOf<Kind>, { lo: number; hi: number }> | undefined;
  const w = acc?.grows(ctx, params);
  if (!acc || !w) return undefined;
  let prior: { lo: number; hi: number } | undefined;
  for (let back = 1; back <= MAX_BACK && !prior; back++) prior = states.get(keyOf(ctx.watermark - back * INTERVAL_S));
  const advanced = prior !== undefined && prior.lo === w.lo && prior.hi < w.hi;
  const state = advanced
    ? acc.merge(prior!, await acc.state(ctx, params, prior!.hi, w.hi))
    : await acc.state(ctx, params, w.lo, w.hi);
  states.set(keyOf(ctx.watermark), state);
  return { data: acc.answer(params, state), advanced };
}
