// Turns a kind's time params into the exact intervals and buckets to read. Windows are (from, to] on
// interval-END stamps, clamped to the data the store holds. Series read whole buckets that overlap the
// window (a 30-minute point is its bucket's mean even when the window starts mid-bucket); totals are exact.
import {
  pickResolution,
  resolveWindow,
  RESOLUTION_SECONDS,
  type RangePreset,
  type Resolution,
} from '../../shared/kinds.ts';
import { dayOf } from '../../shared/nem.ts';
import { ROLLUP_MEANS } from '../store/rollups.ts';
import { BUCKET_1D, BUCKET_30M } from '../store/schema.ts';
import { QueryError } from './errors.ts';
import type { QueryContext } from './handler.ts';

export const DAY = 86400;
const NEM_OFFSET = 36000;
const STEP = 300;
/** A series longer than this is refused: ask for a coarser resolution (auto never comes near it). */
export const MAX_POINTS = 30_000;

export interface TimeParams {
  range?: RangePreset;
  from?: number;
  to?: number;
  resolution?: string;
}

/**
 * Intervals (from, to], both on the 5-minute grid (from rounded down: ts > from is the same set), inside what the store
 * holds; empty when to <= from.
 */
export interface Interval {
  from: number;
  to: number;
}

export { dayOf, hourOf } from '../../shared/nem.ts';
const stampOf: Record<Resolution, (ts: number) => number> = {
  '5m': (ts) => ts,
  '30m': (ts) => Math.ceil(ts / 1800) * 1800,
  '1d': dayOf,
};
/** SQL for the bucket stamp of an interval-ending column, matching the rollups' stamps. */
export function bucketSql(res: Resolution, col = 'ts'): string {
  return res === '5m' ? col : res === '30m' ? BUCKET_30M(col) : BUCKET_1D(col);
}
const GEN_TABLE: Record<Exclude<Resolution, '5m'>, string> = { '30m': 'gen_30m', '1d': 'gen_1d' };

/** The window the params ask for, on the 5-minute grid and clamped to [first interval, watermark]. */
export function dataWindow(ctx: QueryContext, p: TimeParams): Interval {
  const w = resolveWindow(p, ctx.watermark, ctx.firstTs);
  const from = Math.floor(Math.max(w.from, ctx.firstTs - STEP) / STEP) * STEP;
  const to = Math.floor(Math.min(w.to, ctx.watermark) / STEP) * STEP;
  return { from, to: Math.max(from, to) };
}

export interface SeriesWindow extends Interval {
  res: Resolution;
  step: number;
  /** Stamps of the first and last point (first > last when empty) and the whole time axis. */
  first: number;
  last: number;
  times: number[];
  /** Raw intervals inside those buckets, (lo, hi]: raw tables are read over this to match the rollups. */
  lo: number;
  hi: number;
}

/** The series' time axis: every bucket overlapping the window, at the requested (or auto) resolution. */
export function seriesWindow(ctx: QueryContext, p: TimeParams): SeriesWindow {
  const win = dataWindow(ctx, p);
  const res = pickResolution(p.resolution, win);
  const step = RESOLUTION_SECONDS[res];
  if (win.to <= win.from) return { ...win, res, step, first: 1, last: 0, times: [], lo: 0, hi: 0 };
  const first = stampOf[res](win.from + STEP);
  const last = stampOf[res](win.to);
  const points = (last - first) / step + 1;
  if (points > MAX_POINTS) {
    throw new QueryError(
      `resolution ${res} over this window gives ${points} points (limit ${MAX_POINTS}); choose a coarser resolution or auto`,
    );
  }
  const times = new Array<number>(points);
  for (let i = 0; i < points; i++) times[i] = first + i * step;
  const lo = res === '1d' ? first : first - step;
  // The last bucket may end after the watermark, and the store may already hold those intervals (the live
  // pipeline stages the next watermark's answers before advancing): raw reads stop at the watermark.
  const hi = Math.min(res === '1d' ? last + DAY : last, ctx.watermark);
  return { ...win, res, step, first, last, times, lo, hi };
}

/**
 * Rollup buckets are only whole up to the last bucket end at or before the watermark; the one holding the
 * watermark may already include later intervals. Bound as $rcut (last whole bucket's stamp), $e (its end) and $wm.
 */
export function rollupCut(
  ctx: QueryContext,
  res: Resolution,
): { rcut: number; e: number; wm: number } | Record<string, never> {
  if (res === '5m') return {};
  const wm = ctx.watermark;
  if (res === '30m') {
    const e = Math.floor(wm / 1800) * 1800;
    return { rcut: e, e, wm };
  }
  const e = Math.floor((wm + NEM_OFFSET) / DAY) * DAY - NEM_OFFSET;
  return { rcut: e - DAY, e, wm };
}

/**
 * A gen_* source at `res` holding only intervals up to $wm: whole buckets from the rollup, the partial one
 * aggregated from gen_5m exactly as refreshRollups builds it (so the answer is unchanged when nothing is newer).
 */
export function genSourceSql(res: Resolution): string {
  if (res === '5m') return 'gen_5m';
  return `(SELECT ts, region, fuel, mw, gen_mw, revenue, n, co2 FROM ${GEN_TABLE[res]} WHERE ts <= $rcut
  UNION ALL SELECT ${bucketSql(res)} AS ts, region, fuel, ${ROLLUP_MEANS} FROM gen_5m WHERE ts > $e AND ts <= $wm GROUP BY ALL) AS g`;
}

/**
 * An exact window split for totals: whole NEM days (read from daily rollups) plus up to two partial-day
 * edges (read from 5-minute rows). Bound as named params $d1 $d2 (days, inclusive stamps) and
 * $e1a $e1b $e2a $e2b (edges, (a, b]); an unused part gets an empty range so the SQL never changes shape.
 */
export interface ExactWindow extends Interval {
  intervals: number;
  params: { d1: number; d2: number; e1a: number; e1b: number; e2a: number; e2b: number };
}

export function exactWindow(win: Interval): ExactWindow {
  const intervals = Math.max(0, (win.to - win.from) / STEP);
  const firstMidnight = Math.ceil((win.from + NEM_OFFSET) / DAY) * DAY - NEM_OFFSET;
  const lastMidnight = Math.floor((win.to + NEM_OFFSET) / DAY) * DAY - NEM_OFFSET;
  if (intervals === 0 || lastMidnight - firstMidnight < DAY) {
    return { ...win, intervals, params: { d1: 1, d2: 0, e1a: win.from, e1b: win.to, e2a: 0, e2b: 0 } };
  }
  return {
    ...win,
    intervals,
    params: {
      d1: firstMidnight,
      d2: lastMidnight - DAY,
      e1a: win.from,
      e1b: firstMidnight,
      e2a: lastMidnight,
      e2b: win.to,
    },
  };
}

/**
 * SQL that unions daily rollup rows for the whole days with 5-minute rows for the edges. `daily` and `fiveMin`
 * are SELECTs ending in a WHERE clause to which the time condition on `ts` / `fiveTs` is appended.
 */
export function exactUnionSql(daily: string, fiveMin: string, fiveTs = 'ts'): string {
  return `${daily} AND ts BETWEEN $d1 AND $d2
  UNION ALL ${fiveMin} AND ${fiveTs} > $e1a AND ${fiveTs} <= $e1b
  UNION ALL ${fiveMin} AND ${fiveTs} > $e2a AND ${fiveTs} <= $e2b`;
}

/** One SQL text per resolution, built once. */
export const perRes = (f: (r: Resolution) => string) => ({ '5m': f('5m'), '30m': f('30m'), '1d': f('1d') });
