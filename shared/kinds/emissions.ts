// Emissions kinds: t CO2-e and emissions intensity (t/MWh) by region and fuel over time, per station and unit, and
// today against the previous 7 and 30 days. A unit emits its SCADA output sent out (MW ≥ 0) × its emission factor ×
// 5/60 per interval; the factor is AEMO's CDEII one where imported, else one typical of its technology.
import type { Fuel, Region, RegionChoice } from '../nem.ts';
import { fuels, region, regions, returns, seriesParams, timeParams, type Contracts } from './contract.ts';
import type { Column, RooftopMark, Series, TimeOfDay } from './series.ts';

const TONNES =
  "t CO2-e = Σ unit output (SCADA MW ≥ 0) × its emission factor (AEMO's CDEII, else its technology's) × 5/60";
const INTENSITY =
  'intensity = t ÷ MWh generated, rooftop solar included, charging excluded; imports count where generated, not here';

/** t CO2-e per fuel per bucket (fuels that emitted nothing in the window left out). */
export interface EmissionsHistory extends Series<Fuel>, RooftopMark {
  /** t CO2-e per MWh generated, per bucket. */
  intensity: Column;
  /** Over the window: t CO2-e and MWh generated. */
  totalT: number;
  totalMWh: number;
}

export interface EmissionsUnit {
  duid: string;
  /** t CO2-e per MWh sent out, and where it comes from. */
  factor: number;
  source: 'CDEII' | 'technology';
  t: number;
  mwh: number;
  intensity: number | null;
}
export interface EmissionsStationRow {
  region: Region;
  fuel: Fuel;
  station: string;
  t: number;
  mwh: number;
  intensity: number | null;
  units: EmissionsUnit[];
}
export interface EmissionsStations {
  rows: EmissionsStationRow[];
}

export type ComparedDay = 'today' | 'last7' | 'last30';

/** One day's emissions (today), or the mean of the whole days before it. */
export interface EmissionsDay {
  /** Whole days averaged (today: 1). */
  days: number;
  /** t CO2-e: today's so far, or the mean day's. */
  t: number | null;
  /** t CO2-e up to the latest interval's time of day (today: the same as t). */
  tSoFar: number | null;
  /** t ÷ MWh generated over the day(s). */
  intensity: number | null;
}
export interface EmissionsCompare extends Record<ComparedDay, EmissionsDay> {
  region: RegionChoice;
  /** The latest interval (the watermark). */
  time: number;
  /** Intensity (t/MWh) by hour of day, NEM time; null where there is no data (today's later hours). */
  hourly: TimeOfDay<ComparedDay>;
}

export const EMISSIONS = {
  'emissions.history': {
    about: `${TONNES}, per fuel and bucket; ${INTENSITY}.`,
    params: { region, ...seriesParams },
    result: returns<EmissionsHistory>(),
  },
  'emissions.stations': {
    about: `Per station and unit over the window, largest emitter first (stations that emitted nothing left out): ${TONNES}; intensity = t ÷ its net energy (MWh).`,
    params: { regions, fuels, ...timeParams, limit: { type: 'int', min: 1, max: 500, default: 50 } },
    result: returns<EmissionsStations>(),
  },
  'emissions.compare': {
    about: `Today so far (NEM time) against the mean whole day of the previous 7 and 30 days (tonnes also up to the same time of day), and intensity by hour. ${TONNES}; ${INTENSITY}.`,
    params: { region },
    result: returns<EmissionsCompare>(),
  },
} as const satisfies Contracts;
export type EmissionsKind = keyof typeof EMISSIONS;
