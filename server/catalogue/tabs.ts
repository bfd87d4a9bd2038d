// Tab kinds: everything one dashboard tab shows, composed from the other kinds so each number has one source.
// A tab is a set of panels, each (name, kind, canonical params): `tabPanels` gives that list, the handlers here
// run it, and the server's answer path composes the same list from its cache (server/answer.ts), so a panel that
// several tabs share (tab.nem's prices for all six regions) is computed once per watermark. Panels run one after
// another on the session's connection: on 2 cores parallel queries would only queue.
//
// A tab's plan lives here, with the implementation, not with its contract in shared/kinds/tabs.ts: which kinds fill
// a tab is the server's business (the client reads the panels, never how they were made), tab.stations needs a
// store lookup to choose its station, and a plan's params are made canonical by validateParams, which the contract
// modules cannot import (the registry imports them). The compiler still checks a plan against the contract: its
// panels are exactly the tab's result's panel names, and each panel's kind answers that panel's type.
import { REGIONS, regionsIn } from '../../shared/nem.ts';
import {
  isTabKind,
  validateParams,
  type Kind,
  type ParamsOf,
  type ResultOf,
  type TabKind,
} from '../../shared/kinds.ts';
import type { Handler, QueryContext } from './handler.ts';
import { largestStation } from './stations.ts';
import { dataWindow } from './window.ts';

type PanelKind = Exclude<Kind, TabKind>;
type PanelsOf<T extends TabKind> = ResultOf[T]['panels'];
/** The kinds whose answer fits a panel of type R. */
type KindFor<R> = { [K in PanelKind]: ResultOf[K] extends R ? K : never }[PanelKind];
/** One panel of a plan: a kind that fits, and its params as a client would send them. */
type PanelPlan<R> = { [K in KindFor<R>]: { kind: K; params: Partial<ParamsOf<K>> } }[KindFor<R>];
/** Every panel of a tab by name, in wire order. */
export type Plan<T extends TabKind> = { [N in keyof PanelsOf<T>]-?: PanelPlan<PanelsOf<T>[N]> };

export interface Panel {
  name: string;
  kind: PanelKind;
  params: ParamsOf<PanelKind>;
}

/** A panel with canonical params for its kind; a failure here is a bug in this file, not the user's input. */
function panel<K extends PanelKind>(name: string, kind: K, raw: Partial<ParamsOf<K>>) {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(`tab panel ${kind}: ${v.message}`);
  return { name, kind, params: v.params };
}

type Time = Partial<Pick<ParamsOf<'prices.history'>, 'range' | 'from' | 'to' | 'resolution'>>;
/** The time params a tab passes on to its panels (an explicit from/to replaces the preset). */
function time(p: Time): Time {
  const out: Time = p.from !== undefined ? { from: p.from, to: p.to } : { range: p.range };
  if (p.resolution !== undefined) out.resolution = p.resolution;
  return out;
}
const noResolution = ({ resolution: _, ...rest }: Time) => rest;

// Each plan names its return type: TypeScript checks a returned object literal for extra members only then.
const PLANS: { [T in TabKind]: (p: ParamsOf<T>) => Plan<T> | undefined } = {
  'tab.nem': (p): Plan<'tab.nem'> => {
    const day = { range: '24h' } as const;
    return {
      prices: { kind: 'prices.current', params: {} },
      mix: { kind: 'generation.mix', params: { region: p.region } },
      generation: { kind: 'generation.byFuel', params: { region: p.region, ...day } },
      price: { kind: 'prices.history', params: { regions: [...REGIONS], ...day } },
      renewables: { kind: 'renewables.share', params: { region: p.region, ...day } },
      demand: { kind: 'demand.history', params: { region: p.region, ...day } },
      records: { kind: 'demand.records', params: { region: p.region } },
      emissions: { kind: 'emissions.history', params: { region: p.region, ...day } },
      batteries: { kind: 'batteries.fleet', params: { region: p.region, ...day } },
    };
  },
  'tab.generation': (p): Plan<'tab.generation'> => {
    const t = time(p);
    const region = p.region;
    return {
      generation: { kind: 'generation.byFuel', params: { region, ...t } },
      utilisation: { kind: 'capacity.utilisation', params: { region, ...t } },
      flows: { kind: 'interconnectors.flows', params: { region, ...t } },
      timeOfDay: { kind: 'generation.timeOfDay', params: { region, ...noResolution(t) } },
      demand: { kind: 'demand.history', params: { region, ...t } },
      emissions: { kind: 'emissions.history', params: { region, ...t } },
    };
  },
  'tab.prices': (p): Plan<'tab.prices'> => {
    const t = time(p);
    const regions = p.regions;
    return {
      history: { kind: 'prices.history', params: { regions, ...t } },
      stats: { kind: 'prices.stats', params: { regions, ...noResolution(t) } },
      bands: { kind: 'prices.bands', params: { regions, ...noResolution(t) } },
      timeOfDay: { kind: 'prices.timeOfDay', params: { regions, ...noResolution(t) } },
    };
  },
  // With nothing chosen the tab shows the region's largest station, which takes a query to find: no fixed plan.
  'tab.stations': (p): Plan<'tab.stations'> | undefined => {
    const unit = p.duid ? { duid: p.duid } : p.station ? { station: p.station } : undefined;
    if (!unit) return undefined;
    return {
      search: { kind: 'stations.search', params: { region: p.region } },
      output: { kind: 'station.output', params: { ...unit, ...time(p) } },
    };
  },
  'tab.generators': (p): Plan<'tab.generators'> => ({
    table: { kind: 'stations.table', params: { regions: p.regions, fuels: p.fuels, ...noResolution(time(p)) } },
  }),
  'tab.curtailment': (p): Plan<'tab.curtailment'> => {
    const t = time(p);
    const region = p.region;
    return {
      history: { kind: 'curtailment.history', params: { region, ...t } },
      timeOfDay: { kind: 'curtailment.timeOfDay', params: { region, ...noResolution(t) } },
      units: {
        kind: 'curtailment.units',
        params: { regions: regionsIn(region), ...noResolution(t) },
      },
      prices: { kind: 'curtailment.prices', params: { region, ...noResolution(t) } },
    };
  },
  'tab.batteries': (p): Plan<'tab.batteries'> => {
    const t = time(p);
    const region = p.region;
    const short = p.from === undefined && (p.range === '24h' || p.range === '7d');
    return {
      fleet: { kind: 'batteries.fleet', params: { region, ...t } },
      table: {
        kind: 'batteries.table',
        params: { regions: regionsIn(region), ...noResolution(t) },
      },
      arbitrage: { kind: 'batteries.arbitrage', params: { region, ...noResolution(short ? { range: '30d' } : t) } },
    };
  },
};

/**
 * The panels of a tab, in wire order, when they follow from its params alone; undefined for a kind that is not a
 * tab, and for tab.stations with no station chosen (its default is looked up in the store).
 */
export function tabPanels(kind: Kind, params: ParamsOf<Kind>): Panel[] | undefined {
  if (!isTabKind(kind)) return undefined;
  const plan = (PLANS[kind] as (p: ParamsOf<Kind>) => Record<string, PanelPlan<unknown>> | undefined)(params);
  return plan && Object.entries(plan).map(([name, x]) => panel(name, x.kind, x.params) as Panel);
}

/** The tab kinds' handlers, composing the other kinds' (handed in by the catalogue, which lists every family). */
export function tabs(parts: { [K in PanelKind]: Handler<K> }): { [K in TabKind]: Handler<K> } {
  async function runPanels(ctx: QueryContext, list: Panel[]): Promise<{ panels: Record<string, unknown> }> {
    const panels: Record<string, unknown> = {};
    for (const x of list) panels[x.name] = await (parts[x.kind] as Handler<PanelKind>)(ctx, x.params);
    return { panels };
  }
  const planned = <K extends TabKind>(kind: K) =>
    (async (ctx: QueryContext, p: ParamsOf<K>) => runPanels(ctx, tabPanels(kind, p)!)) as unknown as Handler<K>;

  return {
    'tab.nem': planned('tab.nem'),
    'tab.generation': planned('tab.generation'),
    'tab.prices': planned('tab.prices'),
    'tab.generators': planned('tab.generators'),
    'tab.curtailment': planned('tab.curtailment'),
    'tab.batteries': planned('tab.batteries'),

    async 'tab.stations'(ctx, p) {
      const list = tabPanels('tab.stations', p);
      if (list) return (await runPanels(ctx, list)) as ResultOf['tab.stations'];
      const search = await parts['stations.search'](
        ctx,
        panel('search', 'stations.search', { region: p.region }).params,
      );
      const station = await largestStation(ctx, p.region, dataWindow(ctx, p));
      const output =
        station === null
          ? null
          : await parts['station.output'](ctx, panel('output', 'station.output', { station, ...time(p) }).params);
      return { panels: { search, output } };
    },
  };
}
