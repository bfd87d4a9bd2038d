// Generation kinds: output by fuel (series and table), by hour of day, the latest mix, renewable share and
// capacity utilisation, for a region or the NEM.
import type { Fuel, RegionChoice } from '../nem.ts';
import { region, returns, seriesParams, timeParams, type Contracts } from './contract.ts';
import type { Column, Series, TimeOfDay } from './series.ts';

export interface FuelRow {
  fuel: Fuel;
  avgMw: number;
  gwh: number;
  sharePct: number;
  /** Volume-weighted price received, $/MWh, or null when the fuel produced nothing. */
  vwPrice: number | null;
}
export interface GenerationByFuel extends Series<Fuel> {
  /** The region's RRP at the same resolution (NEM: demand-weighted across regions), $/MWh. */
  price: Column;
  table: FuelRow[];
}

export interface GenerationMix {
  region: RegionChoice;
  time: number;
  fuels: { fuel: Fuel; mw: number }[];
  totalMw: number;
  renewableSharePct: number;
}

export interface CapacityUtilisation extends Series<Fuel> {
  capacityMw: Partial<Record<Fuel, number>>;
}

export const GENERATION = {
  'generation.byFuel': { params: { region, ...seriesParams }, result: returns<GenerationByFuel>() },
  'generation.timeOfDay': { params: { region, ...timeParams }, result: returns<TimeOfDay<Fuel>>() },
  'generation.mix': { params: { region }, result: returns<GenerationMix>() },
  'renewables.share': { params: { region, ...seriesParams }, result: returns<Series<'share'>>() },
  'capacity.utilisation': { params: { region, ...seriesParams }, result: returns<CapacityUtilisation>() },
} as const satisfies Contracts;
export type GenerationKind = keyof typeof GENERATION;
