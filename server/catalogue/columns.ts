// Shapes long SQL results (stamp, name, value) into uPlot-ready columns on a fixed axis, `null` for gaps.
import type { Column } from '../../shared/kinds/series.ts';
import { round } from './sql.ts';
import type { SeriesWindow } from './window.ts';

/**
 * Wire precision of series. Region and NEM MW series are GW-scale: decimals there add nothing a chart can show but
 * double the msgpack payload (a float64 is 9 bytes, a small integer 1–3), so they go in whole MW. Emissions: tonnes
 * to 0.1 t, intensity (t/MWh) to 4 decimals.
 */
export const DIGITS = { regionMw: 0, tonnes: 1, intensity: 4 } as const;

export interface Long {
  name: readonly string[];
  value: readonly (number | null)[];
}

/** Spreads long rows into one column per name; names the rows never mention are left out (no all-null Coal for SA). */
function spread<N extends string>(
  length: number,
  slot: (i: number) => number,
  rows: Long,
  order: readonly N[],
  digits: number,
): Record<N, Column> {
  const byName = new Map<string, Column>();
  for (let i = 0; i < rows.name.length; i++) {
    const idx = slot(i);
    if (!(idx >= 0 && idx < length && Number.isInteger(idx))) continue;
    let col = byName.get(rows.name[i]);
    if (!col) byName.set(rows.name[i], (col = new Array(length).fill(null)));
    col[idx] = round(rows.value[i], digits);
  }
  const out = {} as Record<N, Column>;
  for (const name of order) {
    const col = byName.get(name);
    if (col) out[name] = col;
  }
  return out;
}

/** One column per name on the window's time axis, in `order`'s order. */
export function pivot<N extends string>(
  sw: SeriesWindow,
  rows: Long & { ts: readonly number[] },
  order: readonly N[],
  digits = 2,
): Record<N, Column> {
  return spread(sw.times.length, (i) => (rows.ts[i] - sw.first) / sw.step, rows, order, digits);
}

/** A single column on the window's time axis. */
export function column(sw: SeriesWindow, ts: readonly number[], value: readonly (number | null)[], digits = 2): Column {
  const name = ts.map(() => 'x');
  return pivot(sw, { ts, name, value }, ['x'], digits).x ?? new Array(sw.times.length).fill(null);
}

export const HOURS: readonly number[] = Array.from({ length: 24 }, (_, h) => h);

/** Hour-of-day columns (0..23) per name. */
export function hourColumns<N extends string>(
  rows: Long & { hour: readonly number[] },
  order: readonly N[],
  digits = 2,
): Record<N, Column> {
  return spread(24, (i) => rows.hour[i], rows, order, digits);
}

/** SQL: NEM hour of day (0..23) of the interval ending at `ts` (00:05 → 0, 00:00 → 23). */
export const hourSql = (ts = 'ts') => `((((${ts}) - 300 + 36000) % 86400) // 3600)::INTEGER`;
