// Shapes long SQL results (stamp, name, value) into uPlot-ready columns on a fixed axis, `null` for gaps.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Column } from '../../shared/kinds/series.ts';
import { eachRows, round, type Params } from './sql.ts';
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

/**
 * Spreads long rows, fed in order, into one column per name; names the rows never mention are left out (no all-null
 * Coal for SA). A row whose slot is not a whole index in [0, length) is skipped; a later row for a slot wins.
 */
class Spreader {
  private readonly byName = new Map<string, Column>();
  constructor(
    private readonly length: number,
    private readonly digits: number,
  ) {}

  add(idx: number, name: string, value: number | null): void {
    if (!(idx >= 0 && idx < this.length && Number.isInteger(idx))) return;
    let col = this.byName.get(name);
    if (!col) this.byName.set(name, (col = new Array(this.length).fill(null)));
    col[idx] = round(value, this.digits);
  }

  /** The columns in `order`'s order. */
  columns<N extends string>(order: readonly N[]): Record<N, Column> {
    const out = {} as Record<N, Column>;
    for (const name of order) {
      const col = this.byName.get(name);
      if (col) out[name] = col;
    }
    return out;
  }
}

function spread<N extends string>(
  length: number,
  slot: (i: number) => number,
  rows: Long,
  order: readonly N[],
  digits: number,
): Record<N, Column> {
  const s = new Spreader(length, digits);
  for (let i = 0; i < rows.name.length; i++) s.add(slot(i), rows.name[i], rows.value[i]);
  return s.columns(order);
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

/** One pivot of pivotQuery: a value column, the names to keep, and their wire precision. */
export interface PivotSpec<N extends string> {
  value: string;
  order: readonly N[];
  digits: number;
}

/**
 * pivot() over the long rows (ts, name, and each spec's value column) of `sql`, read a chunk at a time straight into
 * the answer's columns: a 90-day 30-minute series by fuel is ~40k rows, and whole-result arrays cost more than DuckDB.
 */
export async function pivotQuery<N extends string>(
  conn: DuckDBConnection,
  sql: string,
  params: Params,
  sw: SeriesWindow,
  specs: readonly PivotSpec<N>[],
): Promise<Record<N, Column>[]> {
  const spreaders = specs.map((s) => new Spreader(sw.times.length, s.digits));
  const values = specs.map((s) => s.value);
  await eachRows(conn, sql, params, ['ts', 'name', ...values], (c, n) => {
    for (let i = 0; i < n; i++) {
      const idx = ((c.ts[i] as number) - sw.first) / sw.step;
      const name = c.name[i] as string;
      for (let k = 0; k < specs.length; k++) spreaders[k].add(idx, name, c[values[k]][i] as number | null);
    }
  });
  return specs.map((s, k) => spreaders[k].columns(s.order));
}

/** A single column on the window's time axis. */
export function column(sw: SeriesWindow, ts: readonly number[], value: readonly (number | null)[], digits = 2): Column {
  const s = new Spreader(sw.times.length, digits);
  for (let i = 0; i < ts.length; i++) s.add((ts[i] - sw.first) / sw.step, 'x', value[i]);
  return s.columns(['x']).x ?? new Array(sw.times.length).fill(null);
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
