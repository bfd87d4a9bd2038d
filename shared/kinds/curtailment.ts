// Curtailment kinds: how much of what semi-scheduled wind and solar could have produced was not dispatched, per region
// over time and by hour of day, per unit, and at negative prices against the rest.
//
// One definition everywhere: curtailed MW = max(UIGF − cleared, 0), UIGF being AEMO's unconstrained intermittent
// generation forecast (what the weather allowed) and cleared the dispatch target; % = curtailed ÷ UIGF; energy =
// MW × 5/60 MWh per interval. A region's UIGF and cleared MW in an interval are DISPATCHREGIONSUM's SS_* columns
// where the store holds them, else the sums over its semi-scheduled wind and solar units' unit_dispatch rows: never
// both, so nothing is counted twice. The NEM is the sum of the regions.
import type { Fuel, Region } from '../nem.ts';
import { region, regions, returns, seriesParams, timeParams, type Contracts } from './contract.ts';
import type { Series, TimeOfDay } from './series.ts';

export const CURTAILMENT_FUELS = ['Wind', 'Solar'] as const satisfies readonly Fuel[];
export type CurtailmentFuel = (typeof CURTAILMENT_FUELS)[number];
export type CurtailmentSeries = 'windAvailable' | 'windCleared' | 'solarAvailable' | 'solarCleared';

/** One fuel's totals over a window. */
export interface CurtailmentTotal {
  fuel: CurtailmentFuel;
  /** Σ UIGF × 5/60. */
  availableMwh: number;
  /** Σ max(UIGF − cleared, 0) × 5/60. */
  curtailedMwh: number;
  /** curtailed ÷ available × 100; null when nothing was available. */
  curtailedPct: number | null;
}
export interface CurtailmentHistory extends Series<CurtailmentSeries> {
  /** Wind then Solar, over the exact window (not the whole first and last buckets). */
  totals: CurtailmentTotal[];
}

export interface CurtailedUnit {
  duid: string;
  station: string;
  region: Region;
  fuel: CurtailmentFuel;
  curtailedMwh: number;
  availableMwh: number;
  curtailedPct: number | null;
  /** Intervals AEMO capped the unit below its forecast (SEMIDISPATCHCAP = 1). */
  cappedIntervals: number;
}
export interface CurtailmentUnits {
  rows: CurtailedUnit[];
}

export const PRICE_CONDITIONS = ['negative', 'nonNegative'] as const;
export type PriceCondition = (typeof PRICE_CONDITIONS)[number];
export interface CurtailmentAtPrice {
  prices: PriceCondition;
  /** Region-intervals with a price in this condition (for the NEM an interval counts once per region). */
  intervals: number;
  availableMwh: number;
  curtailedMwh: number;
  curtailedPct: number | null;
  windCurtailedMwh: number;
  solarCurtailedMwh: number;
}
export interface CurtailmentPrices {
  /** Negative prices first, then zero or above. */
  rows: CurtailmentAtPrice[];
}

const DEFINITION =
  "Curtailed MW = max(UIGF − cleared, 0), semi-scheduled wind and solar (UIGF: AEMO's unconstrained forecast); a region's from DISPATCHREGIONSUM's SS_* columns, else its units' dispatch, never both; the NEM sums the regions.";

export const CURTAILMENT = {
  'curtailment.history': {
    about: `${DEFINITION} Mean available (UIGF) and cleared MW per fuel; totals: MWh = MW × 5/60, % = curtailed ÷ available.`,
    params: { region, ...seriesParams },
    result: returns<CurtailmentHistory>(),
  },
  'curtailment.timeOfDay': {
    about: `${DEFINITION} Mean curtailed MW per fuel by hour of day, NEM time (UTC+10).`,
    params: { region, ...timeParams },
    result: returns<TimeOfDay<CurtailmentFuel>>(),
  },
  'curtailment.units': {
    about:
      "Per semi-scheduled wind or solar unit (AEMO's per-unit dispatch): curtailed MWh = Σ max(UIGF − cleared, 0) × 5/60, % = curtailed ÷ Σ UIGF × 5/60, and the intervals AEMO capped it below its forecast (SEMIDISPATCHCAP = 1); the most curtailed first.",
    params: { regions, ...timeParams, limit: { type: 'int', min: 1, max: 200, default: 20 } },
    result: returns<CurtailmentUnits>(),
  },
  'curtailment.prices': {
    about: `${DEFINITION} Split by the region's own price in that interval, below $0 or not; intervals count region-intervals.`,
    params: { region, ...timeParams },
    result: returns<CurtailmentPrices>(),
  },
} as const satisfies Contracts;
export type CurtailmentKind = keyof typeof CURTAILMENT;
