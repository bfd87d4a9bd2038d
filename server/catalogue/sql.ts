// The one way handlers talk to DuckDB: SQL text is fixed at module load, user values are bound as parameters.
// Results come back columnar (DuckDB's own column reader), so no row objects are built for big series.
import { listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export type Cols = Record<string, unknown[]>;
/** Named parameters ($name in the SQL); every name must appear in the statement. */
export type Params = Record<string, DuckDBValue>;

/** Runs `sql` with bound `values` ($name) and returns one JS array per selected column. */
export async function columns<T extends Cols>(conn: DuckDBConnection, sql: string, values: Params = {}): Promise<T> {
  const reader = await conn.runAndReadAll(sql, values);
  return reader.getColumnsObjectJS() as T;
}

/** Runs `sql` and returns row objects: for small answers (a few hundred rows) where rows read better. */
export async function rows<T>(conn: DuckDBConnection, sql: string, values: Params = {}): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, values);
  return reader.getRowObjectsJS() as T[];
}

/** A VARCHAR[] parameter, for `list_contains($n, region)` filters. */
export function textList(items: readonly string[]): DuckDBValue {
  return listValue([...items]);
}

/** Rounds for the wire: MW and $/MWh to 2 decimals keep payloads small with no visible loss. */
export function round(v: number | null | undefined, digits = 2): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  // `|| 0` turns -0 (a tiny negative rounded) into 0: msgpack and charts would show it as "-0" or lose the sign.
  return Math.round(v * f) / f || 0;
}
