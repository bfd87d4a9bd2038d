// The analyst's seeded script: what one simulated analyst does next, as a pure function of (seed, analyst index),
// so a soak can be replayed exactly. The runner (analyst.ts) turns these actions into frames on a socket.
import type { RangePreset, TabKind } from '../shared/kinds.ts';
import type { RegionChoice } from '../shared/nem.ts';
import { rng } from '../shared/rng.ts';

/** What the analyst is looking at; the runner keeps exactly one tab subscription open for it. */
export interface View {
  tab: TabKind;
  region: RegionChoice;
  range: RangePreset;
}

export type Action =
  | { type: 'open'; view: View } // open the dashboard: subscribe to the view's tab
  | { type: 'switchTab'; view: View }
  | { type: 'changeRegion'; view: View }
  | { type: 'changeRange'; view: View }
  | { type: 'search'; q: string; pick: number; range: RangePreset } // stations.search, then station.output of row `pick`
  | { type: 'peek'; kind: 'prices.current' | 'generation.mix'; region: RegionChoice } // a one-off query
  | { type: 'idle'; ms: number }
  | { type: 'reconnect'; pauseMs: number };

type Weighted<T> = readonly (readonly [T, number])[];
function pick<T>(r: () => number, table: Weighted<T>): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of table) if ((x -= w) < 0) return v;
  return table[table.length - 1][0];
}

// Weights follow how a dashboard is used: most people watch the NEM tab over the last day; few look at a year.
const TABS: Weighted<TabKind> = [
  ['tab.nem', 4],
  ['tab.generation', 3],
  ['tab.prices', 3],
  ['tab.stations', 1],
  ['tab.generators', 1],
];
const REGIONS: Weighted<RegionChoice> = [
  ['NEM', 4],
  ['NSW1', 3],
  ['VIC1', 3],
  ['QLD1', 3],
  ['SA1', 2],
  ['TAS1', 1],
];
const RANGES: Weighted<RangePreset> = [
  ['24h', 6],
  ['7d', 4],
  ['30d', 2],
  ['90d', 1],
  ['1y', 1],
  ['all', 0.3],
];
// Real station names and DUID prefixes from AEMO's registry (credit: AEMO), as analysts type them.
const SEARCHES: Weighted<string> = [
  ['bayswater', 2],
  ['eraring', 2],
  ['loy yang', 2],
  ['hornsdale', 2],
  ['snowy', 1],
  ['tarong', 1],
  ['stanwell', 1],
  ['yallourn', 1],
  ['torrens', 1],
  ['macarthur', 1],
  ['gordon', 1],
  ['ADP', 1],
  ['wind', 1],
  ['solar', 1],
  ['battery', 1],
];

export interface ScriptOptions {
  /** Mean pause between an analyst's actions (a query every ~2 s by default, CONTRACT §6). */
  thinkMs: number;
}
const DEFAULT_SCRIPT: ScriptOptions = { thinkMs: 2000 };

/** An endless, deterministic stream of actions for analyst `index` of a run seeded with `seed`. */
export function* analystScript(
  seed: number,
  index: number,
  opts: ScriptOptions = DEFAULT_SCRIPT,
): Generator<Action, never> {
  const r = rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
  // Exponential think time, clamped so no analyst stalls for minutes or fires in a tight loop.
  const think = (): number =>
    Math.round(Math.min(opts.thinkMs * 6, Math.max(opts.thinkMs / 10, -Math.log(1 - r()) * opts.thinkMs)));
  let view: View = { tab: 'tab.nem', region: pick(r, REGIONS), range: '24h' };
  yield { type: 'open', view: { ...view } };
  for (;;) {
    yield { type: 'idle', ms: think() };
    const what = pick(r, [
      ['switchTab', 5],
      ['changeRegion', 4],
      ['changeRange', 4],
      ['search', 2],
      ['peek', 3],
      ['longIdle', 1],
      ['reconnect', 0.5],
    ] as const);
    switch (what) {
      case 'switchTab': {
        const tab = pick(
          r,
          TABS.filter(([t]) => t !== view.tab),
        );
        view = { ...view, tab };
        yield { type: 'switchTab', view: { ...view } };
        break;
      }
      case 'changeRegion': {
        view = {
          ...view,
          region: pick(
            r,
            REGIONS.filter(([g]) => g !== view.region),
          ),
        };
        yield { type: 'changeRegion', view: { ...view } };
        break;
      }
      case 'changeRange': {
        view = {
          ...view,
          range: pick(
            r,
            RANGES.filter(([g]) => g !== view.range),
          ),
        };
        yield { type: 'changeRange', view: { ...view } };
        break;
      }
      case 'search':
        yield { type: 'search', q: pick(r, SEARCHES), pick: Math.floor(r() * 3), range: pick(r, RANGES.slice(0, 3)) };
        break;
      case 'peek':
        yield { type: 'peek', kind: r() < 0.6 ? 'prices.current' : 'generation.mix', region: view.region };
        break;
      case 'longIdle': // reading the chart, or another window in front
        yield { type: 'idle', ms: Math.round(opts.thinkMs * (5 + r() * 10)) };
        break;
      case 'reconnect': // laptop lid, flaky Wi-Fi, a reload
        yield { type: 'reconnect', pauseMs: Math.round(200 + r() * 1800) };
        break;
    }
  }
}

/** The params a tab subscription sends for a view: each tab kind takes region or regions (CONTRACT §4). */
export function tabParams(view: View): Record<string, unknown> {
  switch (view.tab) {
    case 'tab.nem':
      return { region: view.region };
    case 'tab.generation':
    case 'tab.stations':
    case 'tab.curtailment':
    case 'tab.batteries':
      return { region: view.region, range: view.range };
    case 'tab.prices':
    case 'tab.generators':
      // The whole-NEM view compares every region (the default); a single region narrows it.
      return view.region === 'NEM' ? { range: view.range } : { regions: [view.region], range: view.range };
  }
}
