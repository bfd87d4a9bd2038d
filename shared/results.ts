// The shape of every kind's answer, shared by the catalogue (which builds them) and the client (which draws them).
// Times are epoch seconds. A 5-minute point is stamped with its interval END (AEMO's convention); a 30-minute
// point with its bucket's end; a daily point with the NEM-midnight (UTC+10) start of its day. `null` marks a gap.
import type { Fuel, Region, RegionChoice } from './nem.ts';
import type { Kind, Resolution } from './kinds.ts';

export type Column = (number | null)[];

/** Columnar and uPlot-ready: one x array, one array per named series, all the same length. */
export interface Series<Name extends string = string> {
  time: number[];
  series: Record<Name, Column>;
  unit: string;
  resolution: Resolution;
}

/** Hour-of-day profile: `hours` is 0..23 in NEM time, hour h covering intervals ending after h:00 up to (h+1):00. */
export interface TimeOfDay<Name extends string = string> {
  hours: number[];
  series: Record<Name, Column>;
  unit: string;
}

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

export interface InterconnectorFlows extends Series {
  /** Per interconnector id: its regions and export/import limit series (null where unknown). */
  links: Record<string, { from: Region; to: Region; exportLimit: Column; importLimit: Column }>;
}

export interface TabData {
  panels: Record<string, unknown>;
}

/** What each kind answers. */
export interface ResultOf {
  'prices.current': PricesCurrent;
  'prices.history': Series<Region>;
  'prices.stats': PricesStats;
  'prices.bands': PricesBands;
  'prices.timeOfDay': TimeOfDay<Region>;
  'generation.byFuel': GenerationByFuel;
  'generation.timeOfDay': TimeOfDay<Fuel>;
  'generation.mix': GenerationMix;
  'renewables.share': Series<'share'>;
  'capacity.utilisation': CapacityUtilisation;
  'stations.search': StationsSearch;
  'station.output': StationOutput;
  'stations.table': StationsTable;
  'interconnectors.flows': InterconnectorFlows;
  'tab.nem': {
    panels: {
      prices: PricesCurrent;
      mix: GenerationMix;
      generation: GenerationByFuel;
      price: Series<Region>;
      renewables: Series<'share'>;
    };
  };
  'tab.generation': {
    panels: {
      generation: GenerationByFuel;
      utilisation: CapacityUtilisation;
      flows: InterconnectorFlows;
      timeOfDay: TimeOfDay<Fuel>;
    };
  };
  'tab.prices': {
    panels: { history: Series<Region>; stats: PricesStats; bands: PricesBands; timeOfDay: TimeOfDay<Region> };
  };
  'tab.stations': { panels: { search: StationsSearch; output: StationOutput | null } };
  'tab.generators': { panels: { table: StationsTable } };
}
export type AnyResult = ResultOf[Kind];
