// The view lives in the URL: parse it leniently (a bad value falls back to its default), write it back in a
// fixed order, and turn it into the tab subscription the server answers.
import {
  FUELS,
  REGIONS,
  REGION_CHOICES,
  regionsIn,
  type Fuel,
  type Region,
  type RegionChoice,
} from '../../shared/nem.ts';
import { RANGES, RESOLUTIONS, type Kind, type RangePreset } from '../../shared/kinds.ts';
import { fromNemInput, toNemInput } from './nem-time.ts';

export const TABS = [
  { id: 'nem', label: 'NEM', kind: 'tab.nem' },
  { id: 'generation', label: 'Generation', kind: 'tab.generation' },
  { id: 'prices', label: 'Prices', kind: 'tab.prices' },
  { id: 'stations', label: 'Stations', kind: 'tab.stations' },
  { id: 'generators', label: 'Generators', kind: 'tab.generators' },
  { id: 'curtailment', label: 'Curtailment', kind: 'tab.curtailment' },
  { id: 'batteries', label: 'Batteries', kind: 'tab.batteries' },
] as const satisfies readonly { id: string; label: string; kind: Kind }[];
export type TabId = (typeof TABS)[number]['id'];
export type RangeChoice = RangePreset | 'custom';
export type ResolutionChoice = (typeof RESOLUTIONS)[number];

export interface ViewState {
  tab: TabId;
  region: RegionChoice;
  /** Prices and Generators compare several regions; null means "follow `region`". */
  regions: Region[] | null;
  range: RangeChoice;
  /** Set when range is custom: epoch seconds. */
  from: number | null;
  to: number | null;
  resolution: ResolutionChoice;
  duid: string | null;
  station: string | null;
  fuels: Fuel[] | null;
}

export const DEFAULT_VIEW: Readonly<ViewState> = Object.freeze({
  tab: 'nem',
  region: 'NEM',
  regions: null,
  range: '7d',
  from: null,
  to: null,
  resolution: 'auto',
  duid: null,
  station: null,
  fuels: null,
});

const oneOf = <T extends string>(values: readonly T[], v: string | null): T | undefined =>
  v !== null && (values as readonly string[]).includes(v) ? (v as T) : undefined;
const listOf = <T extends string>(values: readonly T[], v: string | null): T[] | null => {
  if (!v) return null;
  const picked = values.filter((x) => v.split(',').includes(x));
  return picked.length ? picked : null;
};
const ids = TABS.map((t) => t.id);

export function parseView(search: string): ViewState {
  const q = new URLSearchParams(search);
  const view: ViewState = { ...DEFAULT_VIEW };
  view.tab = oneOf(ids, q.get('tab')) ?? view.tab;
  view.region = oneOf(REGION_CHOICES, q.get('region')?.toUpperCase() ?? null) ?? view.region;
  view.regions = listOf(REGIONS, q.get('regions')?.toUpperCase() ?? null);
  view.resolution = oneOf(RESOLUTIONS, q.get('resolution')) ?? view.resolution;
  view.fuels = listOf(FUELS, q.get('fuels'));
  view.duid = q.get('duid')?.trim().slice(0, 32) || null;
  view.station = view.duid ? null : q.get('station')?.trim().slice(0, 120) || null;
  const from = fromNemInput(q.get('from') ?? '');
  const to = fromNemInput(q.get('to') ?? '');
  const range = q.get('range');
  if (Number.isFinite(from) && Number.isFinite(to) && from < to && (range === null || range === 'custom')) {
    Object.assign(view, { range: 'custom', from, to });
  } else {
    view.range = oneOf(RANGES, range) ?? view.range;
  }
  return view;
}

/** Query string for a view: tab, region and range always (so links read plainly), the rest when set. */
export function viewToSearch(v: ViewState): string {
  const parts: [string, string][] = [
    ['tab', v.tab],
    ['region', v.region],
    ['range', v.range],
  ];
  if (v.range === 'custom' && v.from !== null && v.to !== null)
    parts.push(['from', toNemInput(v.from)], ['to', toNemInput(v.to)]);
  if (v.regions) parts.push(['regions', v.regions.join(',')]);
  if (v.resolution !== 'auto') parts.push(['resolution', v.resolution]);
  if (v.duid) parts.push(['duid', v.duid]);
  else if (v.station) parts.push(['station', v.station]);
  if (v.fuels) parts.push(['fuels', v.fuels.join(',')]);
  // ':' and ',' are legal in a query string; leaving them unescaped keeps shared links readable.
  return (
    '?' + parts.map(([k, val]) => `${k}=${encodeURIComponent(val).replace(/%3A/g, ':').replace(/%2C/g, ',')}`).join('&')
  );
}

/** `chosen` without `x` if it holds it, else with `x` added; kept in `all`'s order. */
export function toggleIn<T>(all: readonly T[], chosen: readonly T[], x: T): T[] {
  return chosen.includes(x) ? chosen.filter((y) => y !== x) : all.filter((y) => y === x || chosen.includes(y));
}

/** Regions a multi-region tab shows: the explicit list, else the chosen region, else all five. */
export function regionsOf(v: ViewState): Region[] {
  if (v.regions) return v.regions;
  return regionsIn(v.region);
}

/** A view's window as a kind's time params: its from/to when custom, else its preset. */
export function timeParams(v: ViewState): { from: number; to: number } | { range: RangePreset } {
  if (v.range === 'custom' && v.from !== null && v.to !== null) return { from: v.from, to: v.to };
  return { range: v.range === 'custom' ? (DEFAULT_VIEW.range as RangePreset) : v.range };
}

/** The subscription that feeds a view's tab. */
export function tabRequest(v: ViewState): { kind: Kind; params: Record<string, unknown> } {
  const time = timeParams(v);
  switch (v.tab) {
    case 'nem':
      return { kind: 'tab.nem', params: { region: v.region } };
    case 'generation':
      return { kind: 'tab.generation', params: { region: v.region, ...time, resolution: v.resolution } };
    case 'prices':
      return { kind: 'tab.prices', params: { regions: regionsOf(v), ...time, resolution: v.resolution } };
    case 'stations': {
      const unit = v.duid ? { duid: v.duid } : v.station ? { station: v.station } : {};
      return { kind: 'tab.stations', params: { region: v.region, ...unit, ...time, resolution: v.resolution } };
    }
    case 'generators':
      return { kind: 'tab.generators', params: { regions: regionsOf(v), fuels: v.fuels ?? [...FUELS], ...time } };
    case 'curtailment':
      return { kind: 'tab.curtailment', params: { region: v.region, ...time, resolution: v.resolution } };
    // the battery a row opens (duid) is the tab element's own query, not the tab's
    case 'batteries':
      return { kind: 'tab.batteries', params: { region: v.region, ...time, resolution: v.resolution } };
  }
}

/** Which controls a tab uses, so the bar shows only what changes the view. */
export function controlsFor(tab: TabId): { range: boolean; resolution: boolean } {
  return {
    range: tab !== 'nem',
    resolution: ['generation', 'prices', 'stations', 'curtailment', 'batteries'].includes(tab),
  };
}
