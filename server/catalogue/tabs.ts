// Tab kinds: everything one dashboard tab shows, composed from the other kinds so each number has one source.
// A tab is a list of panels, each (name, kind, canonical params): `tabPanels` gives that list, the handlers here
// run it, and the server's answer path composes the same list from its cache (server/answer.ts), so a panel that
// several tabs share (tab.nem's prices for all six regions) is computed once per watermark. Panel names are those
// of ResultOf in shared/results.ts (the client reads them). Panels run one after another on the session's
// connection: on 2 cores parallel queries would only queue.
import { REGIONS } from '../../shared/nem.ts';
import { validateParams, type Kind, type ParamsOf } from '../../shared/kinds.ts';
import type { Catalogue, Handler, QueryContext } from './handler.ts';
import { generation } from './generation.ts';
import { interconnectors } from './interconnectors.ts';
import { prices } from './prices.ts';
import { largestStation, stations } from './stations.ts';
import { dataWindow } from './window.ts';

export type TabKind = 'tab.nem' | 'tab.generation' | 'tab.prices' | 'tab.stations' | 'tab.generators';
type PanelKind = Exclude<Kind, TabKind>;

export interface Panel {
  name: string;
  kind: PanelKind;
  params: ParamsOf<PanelKind>;
}

const parts = { ...prices, ...generation, ...stations, ...interconnectors } as Pick<Catalogue, PanelKind>;

/** A panel with canonical params for its kind; a failure here is a bug in this file, not the user's input. */
function panel<K extends PanelKind>(name: string, kind: K, raw: Record<string, unknown>): Panel {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(`tab panel ${kind}: ${v.message}`);
  return { name, kind, params: v.params as ParamsOf<PanelKind> };
}

/** The time params a tab passes on to its panels (an explicit from/to replaces the preset). */
function time(p: { range?: string; from?: number; to?: number; resolution?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = p.from !== undefined ? { from: p.from, to: p.to } : { range: p.range };
  if (p.resolution !== undefined) out.resolution = p.resolution;
  return out;
}
const noResolution = ({ resolution: _, ...rest }: Record<string, unknown>) => rest;

const PLANS: { [K in TabKind]: (p: ParamsOf<K>) => Panel[] | undefined } = {
  'tab.nem': (p) => {
    const day = { range: '24h' };
    return [
      panel('prices', 'prices.current', {}),
      panel('mix', 'generation.mix', { region: p.region }),
      panel('generation', 'generation.byFuel', { region: p.region, ...day }),
      panel('price', 'prices.history', { regions: [...REGIONS], ...day }),
      panel('renewables', 'renewables.share', { region: p.region, ...day }),
    ];
  },
  'tab.generation': (p) => {
    const t = time(p);
    const region = p.region;
    return [
      panel('generation', 'generation.byFuel', { region, ...t }),
      panel('utilisation', 'capacity.utilisation', { region, ...t }),
      panel('flows', 'interconnectors.flows', { region, ...t }),
      panel('timeOfDay', 'generation.timeOfDay', { region, ...noResolution(t) }),
    ];
  },
  'tab.prices': (p) => {
    const t = time(p);
    const regions = p.regions;
    return [
      panel('history', 'prices.history', { regions, ...t }),
      panel('stats', 'prices.stats', { regions, ...noResolution(t) }),
      panel('bands', 'prices.bands', { regions, ...noResolution(t) }),
      panel('timeOfDay', 'prices.timeOfDay', { regions, ...noResolution(t) }),
    ];
  },
  // With nothing chosen the tab shows the region's largest station, which takes a query to find: no fixed plan.
  'tab.stations': (p) => {
    const unit = p.duid ? { duid: p.duid } : p.station ? { station: p.station } : undefined;
    if (!unit) return undefined;
    return [
      panel('search', 'stations.search', { region: p.region }),
      panel('output', 'station.output', { ...unit, ...time(p) }),
    ];
  },
  'tab.generators': (p) => [
    panel('table', 'stations.table', { regions: p.regions, fuels: p.fuels, ...noResolution(time(p)) }),
  ],
};

/**
 * The panels of a tab, in wire order, when they follow from its params alone; undefined for a kind that is not a
 * tab, and for tab.stations with no station chosen (its default is looked up in the store).
 */
export function tabPanels(kind: Kind, params: ParamsOf<Kind>): Panel[] | undefined {
  const plan = (PLANS as Record<string, ((p: ParamsOf<Kind>) => Panel[] | undefined) | undefined>)[kind];
  return plan?.(params);
}

async function runPanels(ctx: QueryContext, list: Panel[]): Promise<{ panels: Record<string, unknown> }> {
  const panels: Record<string, unknown> = {};
  for (const x of list) panels[x.name] = await (parts[x.kind] as Handler<PanelKind>)(ctx, x.params);
  return { panels };
}

function planned<K extends TabKind>(kind: K): Handler<K> {
  return (async (ctx: QueryContext, p: ParamsOf<K>) => runPanels(ctx, tabPanels(kind, p)!)) as unknown as Handler<K>;
}

export const tabs: Pick<Catalogue, TabKind> = {
  'tab.nem': planned('tab.nem'),
  'tab.generation': planned('tab.generation'),
  'tab.prices': planned('tab.prices'),
  'tab.generators': planned('tab.generators'),

  async 'tab.stations'(ctx, p) {
    const list = tabPanels('tab.stations', p);
    if (list) return (await runPanels(ctx, list)) as Awaited<ReturnType<Handler<'tab.stations'>>>;
    const search = await stations['stations.search'](
      ctx,
      panel('search', 'stations.search', { region: p.region }).params as ParamsOf<'stations.search'>,
    );
    const station = await largestStation(ctx, p.region, dataWindow(ctx, p));
    const output =
      station === null
        ? null
        : await stations['station.output'](
            ctx,
            panel('output', 'station.output', { station, ...time(p) }).params as ParamsOf<'station.output'>,
          );
    return { panels: { search, output } };
  },
};
