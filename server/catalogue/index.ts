// The query catalogue: one handler per kind (CONTRACT §4). The router validates params (shared/kinds.ts)
// and calls runQuery; handlers bind parameters into prepared SQL and return columnar, uPlot-ready data.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import type { ResultOf } from '../../shared/results.ts';

export interface QueryContext {
  conn: DuckDBConnection;
  /** Latest interval in the store and the first one, epoch seconds (interval end). */
  watermark: number;
  firstTs: number;
}

export type Handler<K extends Kind> = (ctx: QueryContext, params: ParamsOf<K>) => Promise<ResultOf[K]>;
export type Catalogue = { [K in Kind]: Handler<K> };

// PLACEHOLDER until the catalogue lands (issue 2): every kind throws.
const notYet = async (): Promise<never> => {
  throw new Error('catalogue not implemented yet');
};
export const catalogue = new Proxy({} as Catalogue, { get: () => notYet });

export function runQuery<K extends Kind>(ctx: QueryContext, kind: K, params: ParamsOf<K>): Promise<ResultOf[K]> {
  return (catalogue[kind] as Handler<K>)(ctx, params);
}
