// Tab kinds: everything one dashboard tab shows, as named panels, each the answer of another kind (the server
// composes them: server/catalogue/tabs.ts plans which kind and params fill each panel, checked against these types).
import type { Fuel, Region } from '../nem.ts';
import { fuels, region, regions, returns, seriesParams, timeParams, unitParams, type Contract } from './contract.ts';
import type { CurtailmentFuel, CurtailmentHistory, CurtailmentPrices, CurtailmentUnits } from './curtailment.ts';
import type { BatteriesArbitrage, BatteriesFleet, BatteriesTable } from './batteries.ts';
import type { DemandHistory, DemandRecords } from './demand.ts';
import type { EmissionsHistory } from './emissions.ts';
import type { CapacityUtilisation, GenerationByFuel, GenerationMix, RenewableShare } from './generation.ts';
import type { InterconnectorFlows } from './interconnectors.ts';
import type { PricesBands, PricesCurrent, PricesStats } from './prices.ts';
import type { Series, TimeOfDay } from './series.ts';
import type { StationOutput, StationsSearch, StationsTable } from './stations.ts';

/** A tab's answer: its panels by name, in the order they go on the wire. */
interface Tab<Panels extends object> {
  panels: Panels;
}

export const TABS = {
  'tab.nem': {
    about: 'Every panel of the NEM tab, each the answer of the kind that fills it.',
    params: { region },
    result: returns<
      Tab<{
        prices: PricesCurrent;
        mix: GenerationMix;
        generation: GenerationByFuel;
        price: Series<Region>;
        renewables: RenewableShare;
        demand: DemandHistory;
        records: DemandRecords;
        emissions: EmissionsHistory;
        batteries: BatteriesFleet;
      }>
    >(),
  },
  'tab.generation': {
    about: 'Every panel of the Generation tab, each the answer of the kind that fills it.',
    params: { region, ...seriesParams },
    result: returns<
      Tab<{
        generation: GenerationByFuel;
        utilisation: CapacityUtilisation;
        flows: InterconnectorFlows;
        timeOfDay: TimeOfDay<Fuel>;
        demand: DemandHistory;
        emissions: EmissionsHistory;
      }>
    >(),
  },
  'tab.prices': {
    about: 'Every panel of the Prices tab, each the answer of the kind that fills it.',
    params: { regions, ...seriesParams },
    result:
      returns<Tab<{ history: Series<Region>; stats: PricesStats; bands: PricesBands; timeOfDay: TimeOfDay<Region> }>>(),
  },
  // With no station chosen, the region's largest one (output null when the region has none).
  'tab.stations': {
    about: 'Every panel of the Stations tab, each the answer of the kind that fills it.',
    params: { region, ...unitParams, ...seriesParams },
    result: returns<Tab<{ search: StationsSearch; output: StationOutput | null }>>(),
  },
  'tab.generators': {
    about: 'Every panel of the Generators tab, each the answer of the kind that fills it.',
    params: { regions, fuels, ...timeParams },
    result: returns<Tab<{ table: StationsTable }>>(),
  },
  // The top curtailed units of the region (all five for the NEM).
  'tab.curtailment': {
    about: 'Every panel of the Curtailment tab, each the answer of the kind that fills it.',
    params: { region, ...seriesParams },
    result: returns<
      Tab<{
        history: CurtailmentHistory;
        timeOfDay: TimeOfDay<CurtailmentFuel>;
        units: CurtailmentUnits;
        prices: CurtailmentPrices;
      }>
    >(),
  },
  // The daily arbitrage covers the tab's window, or the 30 days before the watermark when that window is shorter.
  'tab.batteries': {
    about: 'Every panel of the Batteries tab, each the answer of the kind that fills it.',
    params: { region, ...seriesParams },
    result: returns<Tab<{ fleet: BatteriesFleet; table: BatteriesTable; arbitrage: BatteriesArbitrage }>>(),
  },
} as const satisfies Record<`tab.${string}`, Contract<Tab<object>>>;
