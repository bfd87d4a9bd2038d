// The one way handlers talk to DuckDB: SQL text is fixed at module load, user values are bound as parameters.
// Results come back columnar (read-columns.ts reads the chunks' memory), so no row objects are built for big series.
import {
  listValue,
  type DuckDBConnection,
  type DuckDBMaterializedResult,
  type DuckDBPreparedStatement,
  type DuckDBValue,
} from '@duckdb/node-api';
import { eachChunk, readColumns, rowsOf } from './read-columns.ts';

export type Cols = Record<string, unknown[]>;
/** Named parameters ($name in the SQL); every name must appear in the statement. */
export type Params = Record<string, DuckDBValue>;

/** Runs `sql` with bound `values` ($name) and returns one JS array per selected column. */
export async function columns<T extends Cols>(conn: DuckDBConnection, sql: string, values: Params = {}): Promise<T> {
  return (await readColumns(await run(conn, sql, values))) as T;
}

/** Runs `sql` and returns row objects: for small answers (a few hundred rows) where rows read better. */
export async function rows<T>(conn: DuckDBConnection, sql: string, values: Params = {}): Promise<T[]> {
  return rowsOf(await readColumns(await run(conn, sql, values))) as T[];
}

/**
 * Runs `sql` and hands the named columns to `visit` a chunk at a time (arrays reused between chunks): for long results
 * folded straight into an answer's own arrays (columns.ts, pivotQuery), with no copy of the whole result.
 */
export async function eachRows<C extends string>(
  conn: DuckDBConnection,
  sql: string,
  values: Params,
  names: readonly C[],
  visit: (cols: Record<C, unknown[]>, n: number) => void,
): Promise<void> {
  await eachChunk(await run(conn, sql, values), names, visit);
}

/** A guard: the catalogue has a few dozen statements; beyond this many, new ones run unprepared. */
const MAX_KEPT = 256;
const kept = new WeakMap<DuckDBConnection, Map<string, Promise<DuckDBPreparedStatement>>>();

/**
 * From now on, statements run on `conn` are prepared once and reused: for long-lived connections that run the same
 * statements every interval (the app's pool: pushes, hot refresh), where parsing and planning again each time is
 * ~30% of a small query. The set is bounded: SQL texts are fixed at module load. Idempotent.
 */
export function keepStatements(conn: DuckDBConnection): void {
  if (!kept.has(conn)) kept.set(conn, new Map());
}

// One statement at a time per connection (the lane's rule) keeps bind-then-run of a shared statement safe.
async function run(conn: DuckDBConnection, sql: string, values: Params): Promise<DuckDBMaterializedResult> {
  const statements = kept.get(conn);
  if (!statements) return conn.run(sql, values);
  let prepared = statements.get(sql);
  if (!prepared && statements.size >= MAX_KEPT) return conn.run(sql, values);
  if (!prepared) {
    prepared = conn.prepare(sql);
    statements.set(sql, prepared);
    prepared.catch(() => statements.delete(sql));
  }
  const statement = await prepared;
  statement.clearBindings();
  if (Object.keys(values).length > 0) statement.bind(values);
  return statement.run();
}

/** A VARCHAR[] parameter, for `list_contains($n, region)` filters. */
export function textList(items: readonly string[]): DuckDBValue {
  return listValue([...items]);
}

/** A DOUBLE[] parameter (not empty: an empty list has no type to bind). */
export function numberList(items: readonly number[]): DuckDBValue {
  return listValue([...items]);
}

/** Rounds for the wire: MW and $/MWh to 2 decimals keep payloads small with no visible loss. */
export function round(v: number | null | undefined, digits = 2): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  // `|| 0` turns -0 (a tiny negative rounded) into 0: msgpack and charts would show it as "-0" or lose the sign.
  return Math.round(v * f) / f || 0;
}

/** SQL: a row of the bound `$region`, or any row for the NEM (a table with a `region` column). */
export const IN_REGION = "($region = 'NEM' OR region = $region)";
