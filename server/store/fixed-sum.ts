// Order-independent sums and means for SQL, so every replica and every run computes the same bits.
// DuckDB's parallel hash aggregation adds a group's DOUBLEs in whatever order its threads meet the rows, and
// float addition is not associative: the same store gave answers a last bit apart, which the wire's rounding
// turned into ±0.01 (values landing on a half cent are common: prices have 2 decimals). Here each term is
// rounded to 6 decimals and added as a DECIMAL, which DuckDB sums in exact integers (AEMO publishes MW and $
// with at most 5 decimals, so raw terms lose nothing); the total is converted to DOUBLE once. DuckDB's own
// avg(DECIMAL) is avoided: it divides in `long double`, whose width differs between hosts (x86 vs ARM).

/** Decimal places kept per term; a term must stay below 10^12 in magnitude (MW, $ and MWh here are far below). */
const SCALE = 6;

const filtered = (agg: string, filter?: string) => (filter ? `${agg} FILTER (WHERE ${filter})` : agg);

/** SQL aggregate: Σ x as DOUBLE, the same whatever the order of the rows; NULL when no row counts. */
export function sumSql(x: string, filter?: string): string {
  return `(${filtered(`sum((${x})::DECIMAL(18, ${SCALE}))`, filter)})::DOUBLE`;
}

/** SQL aggregate: the mean of the non-NULL x, order-independent like sumSql; NULL when there are none. */
export function avgSql(x: string, filter?: string): string {
  return `(${sumSql(x, filter)} / ${filtered(`count(${x})`, filter)})`;
}
