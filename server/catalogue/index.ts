// The query catalogue: one handler per kind (CONTRACT §4), each family's module implementing the contracts of its
// shared/kinds/<family>.ts. The router validates params (shared/kinds.ts) and calls runQuery; handlers bind
// parameters into prepared SQL and return columnar, uPlot-ready data.
// A handler throws QueryError (code bad_params) for a well-formed query it cannot answer; anything else is a bug.
import type { Kind, ParamsOf, ResultOf } from '../../shared/kinds.ts';
import { alerts } from './alerts.ts';
import { curtailment } from './curtailment.ts';
import { batteries } from './batteries.ts';
import { demand } from './demand.ts';
import { emissions } from './emissions.ts';
import { generation } from './generation.ts';
import type { Catalogue, Handler, QueryContext } from './handler.ts';
import { interconnectors } from './interconnectors.ts';
import { prices } from './prices.ts';
import { stations } from './stations.ts';
import { tabs } from './tabs.ts';

export { QueryError } from './errors.ts';
export type { QueryContext } from './handler.ts';

// One spread per family (shared/kinds.ts registers the same families' contracts); tabs compose the other kinds.
const panels = {
  ...prices,
  ...generation,
  ...demand,
  ...emissions,
  ...curtailment,
  ...batteries,
  ...stations,
  ...interconnectors,
  ...alerts,
};
const catalogue = Object.freeze({ ...panels, ...tabs(panels) }) satisfies Catalogue;

export function runQuery<K extends Kind>(ctx: QueryContext, kind: K, params: ParamsOf<K>): Promise<ResultOf[K]> {
  return (catalogue[kind] as Handler<K>)(ctx, params);
}
