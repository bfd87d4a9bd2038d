// What a catalogue handler is: the family files implement it, index.ts assembles them.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Kind, ParamsOf, ResultOf } from '../../shared/kinds.ts';

export interface QueryContext {
  conn: DuckDBConnection;
  /** Latest interval in the store and the first one, epoch seconds (interval end). */
  watermark: number;
  firstTs: number;
}

export type Handler<K extends Kind> = (ctx: QueryContext, params: ParamsOf<K>) => Promise<ResultOf[K]>;
export type Catalogue = { [K in Kind]: Handler<K> };
