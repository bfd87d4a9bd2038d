// AEMO's price and demand forecasts as the store keeps them: every run of P5MIN (a run every 5 minutes, 12 intervals
// ahead) and of 30-minute pre-dispatch (a run every half hour, to the end of the next trading day), one row per run ×
// target interval × region, so a forecast can be compared with what came. Old runs are pruned at each write.
//
// When a run counts as published: answers are cached per watermark (the newest dispatch interval), so a run must be
// part of the data at exactly one watermark onwards, whatever order its file and the dispatch files arrive in. AEMO
// publishes P5MIN run R (RUN_DATETIME, the end of its first interval) with the dispatch interval ending R, seconds
// apart in either order, and pre-dispatch run S (PREDISPATCHSEQNO, the end of its first half hour) a few minutes into
// that half hour. So a P5MIN run is shown from the watermark after R, a pre-dispatch run from 10 minutes into its
// first half hour: both land before that interval does. A file whose run was due at or before the stored watermark
// (a late file, a revision) changes answers already given, and is treated as a revision (the data version goes up).
import type { DuckDBConnection } from '@duckdb/node-api';
import { NEM_OFFSET_S } from '../../shared/nem.ts';

/** Days of runs kept (FORECAST_DAYS): runs older than this before the newest stored run are deleted at each write. */
export const DEFAULT_FORECAST_DAYS = 30;
export const MAX_FORECAST_DAYS = 400;

/** The store's forecast tables: P5MIN's price and demand together; pre-dispatch's from its two tables. */
export const FORECAST_TABLES = ['p5min_region', 'predispatch_price', 'predispatch_demand'] as const;
export type ForecastTable = (typeof FORECAST_TABLES)[number];

/** Seconds after a run's stamp (run_ts) from which it is part of the data (see above). */
export const SHOWN_AFTER_S: Record<ForecastTable, number> = {
  p5min_region: 300,
  predispatch_price: -1200,
  predispatch_demand: -1200,
};

/** SQL: the runs of a table shown at watermark `wm` (a column or parameter). */
export const shownAt = (t: ForecastTable, runTs: string, wm: string) => `${runTs} + ${SHOWN_AFTER_S[t]} <= ${wm}`;

export const FORECAST_SCHEMA_SQL = `
-- P5MIN REGIONSOLUTION, intervention = 0: each 5-minute run (run_ts = RUN_DATETIME, the end of its first interval) ×
-- interval (ts, its end) × region: forecast RRP ($/MWh) and TOTALDEMAND (MW).
CREATE TABLE IF NOT EXISTS p5min_region (run_ts INTEGER NOT NULL, ts INTEGER NOT NULL, region VARCHAR NOT NULL,
  rrp DOUBLE NOT NULL, totaldemand DOUBLE);
-- PREDISPATCH REGION_PRICES and REGION_SOLUTION, intervention = 0: each 30-minute run (run_ts = PREDISPATCHSEQNO read as
-- the end of its half hour: YYYYMMDD trading day, PP = 01 for the one ending 04:30) × half hour (ts = DATETIME, its end).
CREATE TABLE IF NOT EXISTS predispatch_price (run_ts INTEGER NOT NULL, ts INTEGER NOT NULL, region VARCHAR NOT NULL,
  rrp DOUBLE NOT NULL);
CREATE TABLE IF NOT EXISTS predispatch_demand (run_ts INTEGER NOT NULL, ts INTEGER NOT NULL, region VARCHAR NOT NULL,
  totaldemand DOUBLE NOT NULL);
`;

/**
 * PREDISPATCHSEQNO (YYYYMMDDPP: trading day and half hour, 01 ending 04:30 NEM time) → the end of that half hour,
 * epoch s; NaN when it is not one.
 */
export function parseSeqNo(s: string): number {
  const m = /^"?(\d{4})(\d{2})(\d{2})(\d{2})"?$/.exec(s.trim());
  if (!m) return NaN;
  const [y, mo, d, pp] = [+m[1], +m[2], +m[3], +m[4]];
  if (pp < 1 || pp > 48) return NaN;
  const day = Date.UTC(y, mo - 1, d) / 1000;
  const date = new Date(day * 1000);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return NaN;
  return day - NEM_OFFSET_S + 4 * 3600 + pp * 1800;
}

/** Deletes the runs more than `days` older than the newest stored run of each table (caller owns the transaction). */
export async function pruneForecasts(
  conn: DuckDBConnection,
  days: number,
  tables: readonly ForecastTable[] = FORECAST_TABLES,
): Promise<void> {
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`forecast days must be a whole number ≥ 1, got ${days}`);
  for (const t of tables) {
    await conn.run(`DELETE FROM ${t} WHERE run_ts < (SELECT max(run_ts) FROM ${t}) - ${days * 86400}`);
  }
}
