// Station kinds: finding a station or unit, one station's output, and the table of every station.
import type { Fuel, Region } from '../nem.ts';
import {
  fuels,
  oneUnit,
  region,
  regions,
  returns,
  seriesParams,
  timeParams,
  unitParams,
  type Contracts,
} from './contract.ts';
import type { Series, TimeOfDay } from './series.ts';

export interface StationRow {
  duid: string;
  station: string;
  region: Region;
  fuel: Fuel;
  capacityMw: number;
}
export interface StationsSearch {
  q: string;
  rows: StationRow[];
}

export interface StationOutput extends Series<'mw' | 'rrp'> {
  duids: string[];
  station: string;
  region: Region;
  fuel: Fuel;
  capacityMw: number;
  capacityFactorPct: number | null;
  energyMwh: number;
  revenue: number;
  avgPriceReceived: number | null;
  /** t CO2-e over the window, and t per MWh of its energy (null when it produced nothing). */
  co2T: number;
  intensity: number | null;
  timeOfDay: TimeOfDay<'mw'>;
}

export interface StationsTableRow {
  region: Region;
  fuel: Fuel;
  station: string;
  duids: string[];
  gwh: number;
  revenue: number;
  avgPriceReceived: number | null;
  utilisationPct: number | null;
  capacityMw: number;
}
export interface StationsTable {
  rows: StationsTableRow[];
}

export const STATIONS = {
  'stations.search': {
    about:
      "Units from AEMO's registry whose DUID or station name contains the text: exact DUID first, then names starting with it.",
    params: {
      q: { type: 'string', maxLength: 64, default: '' },
      region,
      limit: { type: 'int', min: 1, max: 500, default: 50 },
    },
    result: returns<StationsSearch>(),
  },
  'station.output': {
    about:
      "A unit's or a station's SCADA output (MW) with its region's price; energy = MW × 5/60 MWh; t CO2-e = output sent out (MW ≥ 0) × the unit's emission factor × 5/60 (AEMO's CDEII factor, else its technology's); intensity = t ÷ energy.",
    params: { ...unitParams, ...seriesParams },
    result: returns<StationOutput>(),
    check: oneUnit,
  },
  'stations.table': {
    about:
      'Per station over the window: energy (Σ MW × 5/60), revenue (Σ MW × RRP × 5/60), price received (revenue ÷ energy) and utilisation (mean MW ÷ registered MW).',
    params: { regions, fuels, ...timeParams },
    result: returns<StationsTable>(),
  },
} as const satisfies Contracts;
export type StationKind = keyof typeof STATIONS;
