// Demand kinds. Operational demand is what the grid supplies (AEMO's TOTALDEMAND: scheduled and semi-scheduled
// generation plus net imports, as the price rows carry it); underlying demand adds what rooftop solar supplied behind
// the meter, which is what consumers used.
import { RANGES } from './window.ts';
import { region, returns, seriesParams, type Contracts } from './contract.ts';
import type { RooftopMark, Series, TimeOfDay } from './series.ts';

export const DEMAND_SERIES = ['operational', 'underlying'] as const;
export type DemandSeries = (typeof DEMAND_SERIES)[number];

/** A 5-minute demand and the interval (end) it was seen in. */
export interface DemandPoint {
  mw: number;
  time: number;
}
export type DemandHistory = Series<DemandSeries> & RooftopMark;

export interface DemandRecords {
  series: DemandSeries;
  /** The window's last interval, and the highest and lowest demand seen at its hour of day over the window. */
  latest: {
    time: number;
    mw: number;
    hour: number;
    hourMax: DemandPoint;
    hourMin: DemandPoint;
    /** Set when this interval's rooftop value is carried forward (see RooftopMark): an estimate, and no record. */
    rooftopEstimated?: true;
  } | null;
  /**
   * By hour of day (NEM time): `today` = mean of the intervals of the NEM day holding the window's end (null for hours
   * it has not reached), `mean` = mean over the window, `max`/`min` = the record 5-minute demand at that hour.
   */
  hours: TimeOfDay<'today' | 'mean' | 'max' | 'min'>;
  /** When each hour's record was set (interval end), null where the hour has no data. */
  maxTime: (number | null)[];
  minTime: (number | null)[];
  /** The window's highest and lowest 5-minute demand. */
  max: DemandPoint | null;
  min: DemandPoint | null;
}

export const DEMAND = {
  'demand.history': {
    about:
      "Operational demand = AEMO's TOTALDEMAND (what scheduled and semi-scheduled generation plus net imports supply); underlying = operational + rooftop solar. The NEM is the sum of the regions.",
    params: { region, ...seriesParams },
    result: returns<DemandHistory>(),
  },
  'demand.records': {
    about:
      "Records are the highest and lowest 5-minute demand in the window (all the data by default), overall and for each hour of day in NEM time; today is the mean of each hour's intervals so far. Demand as in demand.history: operational = TOTALDEMAND, underlying = operational + rooftop solar; an underlying value holding rooftop carried forward (not yet published) sets no record.",
    params: {
      region,
      series: { type: 'enum', values: DEMAND_SERIES, default: 'operational' },
      range: { type: 'enum', values: RANGES, default: 'all' },
      from: seriesParams.from,
      to: seriesParams.to,
    },
    result: returns<DemandRecords>(),
  },
} as const satisfies Contracts;
export type DemandKind = keyof typeof DEMAND;
