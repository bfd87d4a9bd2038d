// Forecast kinds: AEMO's P5MIN (5-minute pre-dispatch, 12 intervals ahead, a run every 5 minutes) and 30-minute
// pre-dispatch (to the end of the next trading day, a run every half hour) beside what came. A run counts from the
// watermark it is published by (server/store/forecasts.ts): P5MIN run R from the interval after R, a pre-dispatch run
// from 10 minutes into its first half hour, so a new run reaches subscribers with the interval it lands with.
import { REGIONS, type Region } from '../nem.ts';
import { returns, type Contracts } from './contract.ts';
import type { Series } from './series.ts';

/** A forecast is of one region (the NEM has no price of its own). */
const region = { type: 'enum', values: REGIONS, default: 'NSW1' } as const;
/** Accuracy windows: the store keeps FORECAST_DAYS (30 by default) of runs. */
export const ACCURACY_RANGES = ['24h', '7d', '30d'] as const;
/** The longest explicit from/to window accuracy takes, s. */
export const ACCURACY_MAX_SPAN_S = 31 * 86400;
/** A price at or above this, $/MWh, is a spike (forecast or seen). */
export const SPIKE_PRICE = 300;

export const FORECAST_SERIES = [
  'actualPrice',
  'p5minPrice',
  'predispatchPrice',
  'actualDemand',
  'p5minDemand',
  'predispatchDemand',
] as const;
export type ForecastSeries = (typeof FORECAST_SERIES)[number];

/**
 * The latest runs' curves on one 5-minute axis, from `hours` before the watermark to the last pre-dispatch half hour:
 * actual price and demand up to the watermark, P5MIN's 12 intervals, pre-dispatch at its half-hour ends (null between).
 * Prices $/MWh, demand MW (`unit` names the prices').
 */
export interface ForecastLatest extends Series<ForecastSeries> {
  region: Region;
  /** The runs drawn: P5MIN's RUN_DATETIME, pre-dispatch's run (the end of its first half hour); null: none yet. */
  runs: { p5min: number | null; predispatch: number | null };
}

export interface PredispatchRow {
  /** The half hour's end. */
  time: number;
  /** Forecast $/MWh per region (REGIONS order); null where the run has none. */
  prices: (number | null)[];
  /** Change since the previous run's forecast of the same half hour; null where that run had none. */
  changes: (number | null)[];
}
export interface PredispatchTable {
  regions: Region[];
  /** The latest pre-dispatch run published by the watermark and the one before it; null when none. */
  run: number | null;
  previousRun: number | null;
  rows: PredispatchRow[];
}

export type ForecastSource = 'p5min' | 'predispatch';
export interface AccuracyRow {
  source: ForecastSource;
  /** Lead time from the run to the forecast interval, minutes: the bucket's lower and upper bound (null: open). */
  horizonMin: number;
  horizonMaxMin: number | null;
  /** Forecast intervals compared (run × interval pairs with an actual). */
  n: number;
  /** Mean absolute error and mean error (forecast − actual): price $/MWh, demand MW. */
  priceMae: number | null;
  priceBias: number | null;
  demandMae: number | null;
  demandBias: number | null;
  /** Pairs where the actual was a spike; of those, forecast as one; and spikes forecast that did not come. */
  spikesSeen: number;
  spikesForecast: number;
  falseSpikes: number;
}
export interface ForecastAccuracy {
  region: Region;
  /** Forecast intervals in (from, to]. */
  from: number;
  to: number;
  spikePrice: number;
  /** By source, then horizon; then one row per source over every horizon (horizonMin -1). */
  rows: AccuracyRow[];
}

export const FORECASTS = {
  'forecasts.latest': {
    about:
      'The newest P5MIN run (12 five-minute intervals) and pre-dispatch run (half hours to the end of the next trading day), price (RRP) and demand (TOTALDEMAND), intervention = 0, beside the actual dispatch price and demand of the last `hours`. A P5MIN run counts from the interval after its RUN_DATETIME, a pre-dispatch run from 10 minutes into its first half hour.',
    params: { region, hours: { type: 'int', min: 1, max: 48, default: 6 } },
    result: returns<ForecastLatest>(),
  },
  'forecasts.predispatch': {
    about:
      'The newest pre-dispatch run published by the watermark: forecast price (RRP, intervention = 0) of each region for each half hour ahead, and its change since the run before (the same half hour in the previous run).',
    params: {},
    result: returns<PredispatchTable>(),
  },
  'forecasts.accuracy': {
    about:
      'Every run published by the watermark against what came, for forecast intervals in the window: P5MIN against the 5-minute dispatch price and demand, pre-dispatch against the mean of the half hour’s six (only whole half hours). By lead time (interval end − run): mean absolute error, bias (mean of forecast − actual), and spikes (price ≥ $300) seen, forecast, and forecast but not seen.',
    params: {
      region,
      range: { type: 'enum', values: ACCURACY_RANGES, default: '7d' },
      from: { type: 'epoch' },
      to: { type: 'epoch' },
    },
    check: (p) =>
      typeof p.from === 'number' && typeof p.to === 'number' && p.to - p.from > ACCURACY_MAX_SPAN_S
        ? `from..to spans at most ${ACCURACY_MAX_SPAN_S / 86400} days for forecasts.accuracy`
        : undefined,
    result: returns<ForecastAccuracy>(),
  },
} as const satisfies Contracts;
export type ForecastKind = keyof typeof FORECASTS;
