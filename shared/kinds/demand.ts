// Demand kinds. Operational demand is what the grid supplies (AEMO's TOTALDEMAND: scheduled and semi-scheduled
// generation plus net imports, as the price rows carry it); underlying demand adds what rooftop solar supplied behind
// the meter, which is what consumers used.
import { region, returns, seriesParams, type Contracts } from './contract.ts';
import type { Series } from './series.ts';

export const DEMAND_SERIES = ['operational', 'underlying'] as const;
export type DemandSeries = (typeof DEMAND_SERIES)[number];

export const DEMAND = {
  'demand.history': {
    about:
      "Operational demand = AEMO's TOTALDEMAND (what scheduled and semi-scheduled generation plus net imports supply); underlying = operational + rooftop solar. The NEM is the sum of the regions.",
    params: { region, ...seriesParams },
    result: returns<Series<DemandSeries>>(),
  },
} as const satisfies Contracts;
export type DemandKind = keyof typeof DEMAND;
