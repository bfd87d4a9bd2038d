// Price kinds: each region's dispatch price (RRP) now, over time, in summary, in bands and by hour of day.
import type { Region } from '../nem.ts';
import { regions, returns, seriesParams, timeParams, type Contracts } from './contract.ts';
import type { Series, TimeOfDay } from './series.ts';

export interface PriceNow {
  region: Region;
  time: number;
  rrp: number;
  prev: number | null;
  avg1h: number;
  avg24h: number;
}
export interface PricesCurrent {
  time: number;
  rows: PriceNow[];
}

export interface PriceStatsRow {
  region: Region;
  mean: number;
  /** Time-weighted mean: equal to `mean` for regular 5-minute data, kept separate for mixed resolutions. */
  timeWeighted: number;
  /** Demand-weighted mean, or null when the store holds no demand for the window. */
  demandWeighted: number | null;
  min: number;
  max: number;
  p5: number;
  p50: number;
  p95: number;
  negative: number;
  over300: number;
  count: number;
}
export interface PricesStats {
  rows: PriceStatsRow[];
}

export const PRICE_BANDS = ['<$0', '$0–300', '$300–1000', '>$1000'] as const;
export interface PricesBands {
  bands: typeof PRICE_BANDS;
  /** Per region: share of intervals (%) and contribution to the mean price ($/MWh) of each band, in band order. */
  rows: { region: Region; sharePct: number[]; contribution: number[]; mean: number }[];
}

export const PRICES = {
  'prices.current': { params: {}, result: returns<PricesCurrent>() },
  'prices.history': { params: { regions, ...seriesParams }, result: returns<Series<Region>>() },
  'prices.stats': { params: { regions, ...timeParams }, result: returns<PricesStats>() },
  'prices.bands': { params: { regions, ...timeParams }, result: returns<PricesBands>() },
  'prices.timeOfDay': { params: { regions, ...timeParams }, result: returns<TimeOfDay<Region>>() },
} as const satisfies Contracts;
export type PriceKind = keyof typeof PRICES;
