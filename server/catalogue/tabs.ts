// Tab kinds: everything one dashboard tab shows, composed from the other kinds so each number has one source.
// Panel names are those of ResultOf in shared/results.ts (the client reads them). Panels run one after another
// on the session's connection: on 2 cores parallel queries would only queue.
import { REGIONS } from '../../shared/nem.ts';
import { validateParams, type Kind, type ParamsOf } from '../../shared/kinds.ts';
import type { Catalogue } from './index.ts';
import { generation } from './generation.ts';
import { interconnectors } from './interconnectors.ts';
import { prices } from './prices.ts';
import { largestStation, stations } from './stations.ts';
import { dataWindow } from './window.ts';

/** Canonical params for a panel's kind; a failure here is a bug in this file, not the user's input. */
function paramsFor<K extends Kind>(kind: K, raw: Record<string, unknown>): ParamsOf<K> {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(`tab panel ${kind}: ${v.message}`);
  return v.params;
}

/** The time params a tab passes on to its panels (an explicit from/to replaces the preset). */
function time(p: { range?: string; from?: number; to?: number; resolution?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = p.from !== undefined ? { from: p.from, to: p.to } : { range: p.range };
  if (p.resolution !== undefined) out.resolution = p.resolution;
  return out;
}
const noResolution = ({ resolution: _, ...rest }: Record<string, unknown>) => rest;

export const tabs: Pick<Catalogue, 'tab.nem' | 'tab.generation' | 'tab.prices' | 'tab.stations' | 'tab.generators'> = {
  async 'tab.nem'(ctx, p) {
    const day = { range: '24h' };
    return {
      panels: {
        prices: await prices['prices.current'](ctx, paramsFor('prices.current', {})),
        mix: await generation['generation.mix'](ctx, paramsFor('generation.mix', { region: p.region })),
        generation: await generation['generation.byFuel'](ctx, paramsFor('generation.byFuel', { region: p.region, ...day })),
        price: await prices['prices.history'](ctx, paramsFor('prices.history', { regions: [...REGIONS], ...day })),
        renewables: await generation['renewables.share'](ctx, paramsFor('renewables.share', { region: p.region, ...day })),
      },
    };
  },

  async 'tab.generation'(ctx, p) {
    const t = time(p);
    const region = p.region;
    return {
      panels: {
        generation: await generation['generation.byFuel'](ctx, paramsFor('generation.byFuel', { region, ...t })),
        utilisation: await generation['capacity.utilisation'](ctx, paramsFor('capacity.utilisation', { region, ...t })),
        flows: await interconnectors['interconnectors.flows'](ctx, paramsFor('interconnectors.flows', { region, ...t })),
        timeOfDay: await generation['generation.timeOfDay'](ctx, paramsFor('generation.timeOfDay', { region, ...noResolution(t) })),
      },
    };
  },

  async 'tab.prices'(ctx, p) {
    const t = time(p);
    const regions = p.regions;
    return {
      panels: {
        history: await prices['prices.history'](ctx, paramsFor('prices.history', { regions, ...t })),
        stats: await prices['prices.stats'](ctx, paramsFor('prices.stats', { regions, ...noResolution(t) })),
        bands: await prices['prices.bands'](ctx, paramsFor('prices.bands', { regions, ...noResolution(t) })),
        timeOfDay: await prices['prices.timeOfDay'](ctx, paramsFor('prices.timeOfDay', { regions, ...noResolution(t) })),
      },
    };
  },

  async 'tab.stations'(ctx, p) {
    const t = time(p);
    const search = await stations['stations.search'](ctx, paramsFor('stations.search', { region: p.region }));
    let unit: Record<string, unknown> | null = p.duid ? { duid: p.duid } : p.station ? { station: p.station } : null;
    if (!unit) {
      // With nothing chosen the tab still shows something: the region's largest station.
      const station = await largestStation(ctx, p.region, dataWindow(ctx, p));
      unit = station === null ? null : { station };
    }
    const output = unit ? await stations['station.output'](ctx, paramsFor('station.output', { ...unit, ...t })) : null;
    return { panels: { search, output } };
  },

  async 'tab.generators'(ctx, p) {
    const t = noResolution(time(p));
    return { panels: { table: await stations['stations.table'](ctx, paramsFor('stations.table', { regions: p.regions, fuels: p.fuels, ...t })) } };
  },
};
