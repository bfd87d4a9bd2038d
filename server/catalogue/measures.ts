// The one definition of energy, revenue, price received, capacity factor, renewable share and emissions intensity
// (CONTRACT §4).
// Every handler that reports one of these goes through here, in SQL or in JS.
import { RENEWABLE_FUELS } from '../../shared/nem.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';

/** Hours in one 5-minute interval: energy MWh = MW × 5/60; revenue $ = MW × RRP × 5/60. */
export const INTERVAL_H = 5 / 60;

/** SQL: MWh of a column holding the MW of one 5-minute interval. */
export const mwhSql = (mw: string) => `(${mw}) / 12.0`;
/** SQL: MWh of a rollup row holding the mean MW over `n` 5-minute intervals. */
export const rollupMwhSql = (mw: string, n = 'n') => `(${mw}) * (${n}) / 12.0`;
/** SQL: $ earned in one 5-minute interval at `mw` and price `rrp` (the rollups store this as `revenue`). */
export const revenueSql = (mw: string, rrp: string) => `(${mw}) * (${rrp}) / 12.0`;

const RENEWABLE_LIST = RENEWABLE_FUELS.map((f) => `'${f}'`).join(', ');
/**
 * SQL aggregate: renewable share (%) of generation. `gen_mw` is generation only (charging, pumping and
 * imports are 0 there), so the denominator is total generation with storage charging excluded.
 */
export const renewableShareSql = (gen = 'gen_mw', fuel = 'fuel') =>
  `100.0 * coalesce(${sumSql(gen, `${fuel} IN (${RENEWABLE_LIST})`)}, 0) / nullif(${sumSql(gen)}, 0)`;

/** The same share in JS, from per-fuel generation rows; 0 when nothing generated. */
export function renewableSharePct(rows: readonly { fuel: string; gen_mw: number }[]): number {
  let total = 0;
  let renewable = 0;
  for (const r of rows) {
    total += r.gen_mw;
    if ((RENEWABLE_FUELS as readonly string[]).includes(r.fuel)) renewable += r.gen_mw;
  }
  return total > 0 ? (100 * renewable) / total : 0;
}

/** SQL aggregate: demand-weighted mean price; a plain mean where the store has no demand. */
export const demandWeightedSql = (rrp = 'rrp', demand = 'demand_mw') =>
  `coalesce(${sumSql(`${rrp} * ${demand}`)} / nullif(${sumSql(demand, `${rrp} IS NOT NULL`)}, 0), ${avgSql(rrp)})`;

/** Average price received, $/MWh: revenue ÷ energy; null when the net energy is not positive. */
export function priceReceived(revenue: number, mwh: number): number | null {
  return mwh > 1e-9 ? revenue / mwh : null;
}

/** `part` as a percentage of `whole`; null when either is unknown or the whole is not positive. */
export function percentOf(part: number | null, whole: number | null): number | null {
  return part !== null && whole !== null && whole > 0 ? (100 * part) / whole : null;
}

/** Emissions intensity, t CO2-e per MWh: tonnes ÷ energy; null when the energy is not positive. */
export function intensityOf(tonnes: number, mwh: number): number | null {
  return mwh > 1e-9 ? tonnes / mwh : null;
}

/**
 * Capacity factor / utilisation (%): net energy ÷ (capacity × hours). Null without capacity or time, and when
 * the unit consumed more than it produced (a battery's net energy is its losses, not its use).
 */
export function capacityFactorPct(mwh: number, capacityMw: number, intervals: number): number | null {
  const hours = intervals * INTERVAL_H;
  return capacityMw > 0 && hours > 0 && mwh >= 0 ? (100 * mwh) / (capacityMw * hours) : null;
}
