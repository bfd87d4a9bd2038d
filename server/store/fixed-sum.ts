// Order-independent sums and means for SQL, so every replica and every run computes the same bits.
// DuckDB's parallel hash aggregation adds a group's DOUBLEs in whatever order its threads meet the rows, and
// float addition is not associative: the same store gave answers a last bit apart, which the wire's rounding
// turned into ±0.01 (values landing on a half cent are common: prices have 2 decimals). Here each term is
// rounded to a whole number of millionths and those integers are added (exactly, in DuckDB's 128-bit sum), so
// any order gives the same total; it becomes a DOUBLE once, at the end. AEMO publishes MW and $ with at most 5
// decimals, so raw terms lose nothing. The cast to BIGINT rounds to nearest (ties to even) and costs about half
// what a DECIMAL cast does. DuckDB's avg(DECIMAL) would divide in `long double`, whose width differs by host.

/** Units per 1 in a term (a DOUBLE literal, so integer terms cannot overflow before the cast); a term must stay
 * below ~9.2e12 in magnitude (MW, $ and MWh here are far below). */
const SCALE = '1e6';
/** SCALE as a number, for a fixed sum finished in TypeScript: Number(sum) / FIXED_SCALE is fromFixedSql's DOUBLE. */
export const FIXED_SCALE = 1e6;

const filtered = (agg: string, filter?: string) => (filter ? `${agg} FILTER (WHERE ${filter})` : agg);

/** SQL aggregate: Σ x as DOUBLE, the same whatever the order of the rows; NULL when no row counts. */
export function sumSql(x: string, filter?: string): string {
  return fromFixedSql(fixedSumSql(x, filter));
}

/**
 * The two halves of sumSql, for a sum taken in two steps: fixedSumSql is Σ x in whole millionths (an exact HUGEINT),
 * so summing those partial sums again (`sum(p)`) gives exactly the integer one pass over the rows would, and
 * fromFixedSql of it the same DOUBLE as sumSql. One grouping can then feed both a per-group and a total answer.
 */
export function fixedSumSql(x: string, filter?: string): string {
  return filtered(`sum(((${x}) * ${SCALE})::BIGINT)`, filter);
}
export function fromFixedSql(fixed: string): string {
  return `((${fixed})::DOUBLE / ${SCALE})`;
}

/** SQL aggregate: the mean of the non-NULL x, order-independent like sumSql; NULL when there are none. */
export function avgSql(x: string, filter?: string): string {
  return `(${sumSql(x, filter)} / ${filtered(`count(${x})`, filter)})`;
}
