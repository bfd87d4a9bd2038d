// Generation kinds: output by fuel (series and table), by hour of day, the latest mix, renewable share and
// capacity utilisation, for a region or the NEM.
import type { Fuel, RegionChoice } from '../nem.ts';
import { region, returns, seriesParams, timeParams, type Contracts } from './contract.ts';
import type { Column, RooftopMark, Series, TimeOfDay } from './series.ts';

export interface FuelRow {
  fuel: Fuel;
  avgMw: number;
  gwh: number;
  sharePct: number;
  /** Volume-weighted price received, $/MWh, or null when the fuel produced nothing. */
  vwPrice: number | null;
}
export interface GenerationByFuel extends Series<Fuel>, RooftopMark {
  /** The region's RRP at the same resolution (NEM: demand-weighted across regions), $/MWh. */
  price: Column;
  table: FuelRow[];
}

export type RenewableShare = Series<'share'> & RooftopMark;

export interface GenerationMix {
  region: RegionChoice;
  time: number;
  fuels: { fuel: Fuel; mw: number }[];
  totalMw: number;
  renewableSharePct: number;
  /** Set when a region's rooftop value in this interval is carried forward (see RooftopMark). */
  rooftopEstimated?: true;
}

export interface CapacityUtilisation extends Series<Fuel> {
  capacityMw: Partial<Record<Fuel, number>>;
}

export const GENERATION = {
  'generation.byFuel': {
    about:
      "Mean MW per fuel (SCADA per unit, rooftop solar from AEMO's half-hourly estimate, net imports as Transmission); energy = MW × 5/60 MWh per interval; battery charging and pumping stack below zero. Rooftop of the newest intervals, not yet published, is the last half hour's carried forward and marked 'rooftop estimated'.",
    params: { region, ...seriesParams },
    result: returns<GenerationByFuel>(),
  },
  'generation.timeOfDay': {
    about: 'Mean MW per fuel by hour of day in NEM time (UTC+10), over the window.',
    params: { region, ...timeParams },
    result: returns<TimeOfDay<Fuel>>(),
  },
  'generation.mix': {
    about:
      "Each fuel's MW in the latest interval and its share of total generation (charging, pumping and imports excluded).",
    params: { region },
    result: returns<GenerationMix>(),
  },
  'renewables.share': {
    about:
      "(Wind + Solar + Rooftop Solar + Hydro + Biomass) ÷ total generation, with battery charging and pumping excluded. Rooftop of the newest intervals, not yet published, is the last half hour's carried forward and marked 'rooftop estimated'.",
    params: { region, ...seriesParams },
    result: returns<RenewableShare>(),
  },
  'capacity.utilisation': {
    about: 'Mean output ÷ registered capacity per fuel.',
    params: { region, ...seriesParams },
    result: returns<CapacityUtilisation>(),
  },
} as const satisfies Contracts;
export type GenerationKind = keyof typeof GENERATION;
