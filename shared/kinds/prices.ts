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
  'prices.current': {
    about:
      "Each region's latest 5-minute dispatch price (RRP), the one before it, and its mean over the last hour and 24 hours.",
    params: {},
    result: returns<PricesCurrent>(),
  },
  'prices.history': {
    about: 'Dispatch price (RRP) per region; a 30-minute or daily point is the mean of its 5-minute prices.',
    params: { regions, ...seriesParams },
    result: returns<Series<Region>>(),
  },
  'prices.stats': {
    about:
      'Over the window: mean, time-weighted mean, demand-weighted mean (Σ RRP × demand ÷ Σ demand), min, max, percentiles and counts of negative and >$300 intervals.',
    params: { regions, ...timeParams },
    result: returns<PricesStats>(),
  },
  'prices.bands': {
    about: "Share of 5-minute intervals in each price band, and each band's contribution to the window's mean price.",
    params: { regions, ...timeParams },
    result: returns<PricesBands>(),
  },
  'prices.timeOfDay': {
    about: 'Mean dispatch price by hour of day in NEM time (UTC+10), over the window.',
    params: { regions, ...timeParams },
    result: returns<TimeOfDay<Region>>(),
  },
} as const satisfies Contracts;
export type PriceKind = keyof typeof PRICES;
