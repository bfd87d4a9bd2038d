// Interconnector kinds: the flow on each link between regions, with its limits.
import type { Region } from '../nem.ts';
import { region, returns, seriesParams, type Contracts } from './contract.ts';
import type { Column, Series } from './series.ts';

export interface InterconnectorFlows extends Series {
  /** Per interconnector id: its regions and export/import limit series (null where unknown). */
  links: Record<string, { from: Region; to: Region; exportLimit: Column; importLimit: Column }>;
}

export const INTERCONNECTORS = {
  'interconnectors.flows': {
    about:
      "Metered flow (MW) per interconnector, positive in the direction of the first-named region, with AEMO's dispatch import and export limits.",
    params: { region, ...seriesParams },
    result: returns<InterconnectorFlows>(),
  },
} as const satisfies Contracts;
export type InterconnectorKind = keyof typeof INTERCONNECTORS;
