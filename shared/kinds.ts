// The registry of query kinds. A kind's CONTRACT (its parameter schema and result type: what the client and the
// server agree on) is written once, in its family's module shared/kinds/<family>.ts; its IMPLEMENTATION (SQL and
// shaping, or a tab's panels) once, in server/catalogue/<family>.ts. Everything else derives from the contracts
// below: Kind, ParamsOf, ResultOf, the tab kinds, validation and canonical params (so cache keys), the warmup list,
// the SDK's types and the kind list in the hello frame.
//
// Adding a kind: its contract in shared/kinds/<family>.ts (`'family.name': { params, result: returns<Shape>() }`)
// and its handler in server/catalogue/<family>.ts. The compiler refuses a kind without a handler, a handler without
// a kind, and a tab panel whose kind's answer does not fit the tab's result. Then its row in the README's kinds
// table (a test checks it). A new family: those two modules, plus an import and a spread here and in
// server/catalogue/index.ts.
import { ALERTS } from './kinds/alerts.ts';
import { CURTAILMENT } from './kinds/curtailment.ts';
import { BATTERIES } from './kinds/batteries.ts';
import { DEMAND } from './kinds/demand.ts';
import { EMISSIONS } from './kinds/emissions.ts';
import { GENERATION } from './kinds/generation.ts';
import { INTERCONNECTORS } from './kinds/interconnectors.ts';
import { PRICES } from './kinds/prices.ts';
import { STATIONS } from './kinds/stations.ts';
import { TABS } from './kinds/tabs.ts';
import type { ParamValue, ResultIn } from './kinds/contract.ts';
import { checkParams } from './kinds/validate.ts';

// Spread in the order kinds are listed (hello frame, warmup, `npm run sub`'s usage).
const CONTRACTS = {
  ...PRICES,
  ...GENERATION,
  ...DEMAND,
  ...EMISSIONS,
  ...CURTAILMENT,
  ...BATTERIES,
  ...STATIONS,
  ...INTERCONNECTORS,
  ...ALERTS,
  ...TABS,
};
type Contracts = typeof CONTRACTS;

export type { ParamSpec } from './kinds/contract.ts';
export * from './kinds/window.ts';

export type Kind = keyof Contracts;
/** The validated, canonical parameters of a kind: defaults filled, lists sorted and de-duplicated. */
export type ParamsOf<K extends Kind> = {
  -readonly [P in keyof Contracts[K]['params']]: ParamValue<Contracts[K]['params'][P]>;
};
/** What each kind answers. */
export type ResultOf = { [K in Kind]: ResultIn<Contracts[K]> };
/** A dashboard tab's kind: its answer is the panels the tab draws. */
export type TabKind = Extract<Kind, `tab.${string}`>;

/** Each kind's parameter schema. */
export const KINDS = Object.fromEntries(Object.entries(CONTRACTS).map(([kind, c]) => [kind, c.params])) as {
  [K in Kind]: Contracts[K]['params'];
};
export const KIND_NAMES = Object.keys(CONTRACTS) as Kind[];
/** How each kind's answer is computed, in words for the user (the dashboard shows it beside the panel). */
export const ABOUT = Object.fromEntries(Object.entries(CONTRACTS).map(([kind, c]) => [kind, c.about])) as Record<
  Kind,
  string
>;
/** Kinds whose answers are never cached (their contract says why). */
export const UNCACHED: ReadonlySet<Kind> = new Set(
  KIND_NAMES.filter((k) => (CONTRACTS[k] as { uncached?: true }).uncached === true),
);
export const isTabKind = (kind: Kind): kind is TabKind => kind.startsWith('tab.');
export const TAB_KINDS = KIND_NAMES.filter(isTabKind);

export function isKind(kind: unknown): kind is Kind {
  return typeof kind === 'string' && Object.hasOwn(CONTRACTS, kind);
}

type Validated<K extends Kind = Kind> = { ok: true; kind: K; params: ParamsOf<K> } | { ok: false; message: string };

/** Checks `raw` against the kind's schema; the result is canonical, so equal queries give equal keys. */
export function validateParams<K extends Kind>(kind: K, raw: unknown): Validated<K> {
  const v = checkParams(kind, CONTRACTS[kind], raw);
  return v.ok ? { ok: true, kind, params: v.params as ParamsOf<K> } : v;
}
