// The demo's forecasts: P5MIN and pre-dispatch runs made from the demo's own future (it is a pure function of seed and
// interval, so the intervals after the watermark can be generated before they are appended, with the same SQL), with an
// error that grows with the lead time, spikes that the longer horizons miss, and spikes forecast that never come. Every
// value is a function of (seed, run, interval, region): a bulk build and the live demo's appends write the same rows.
//
// Runs follow AEMO's rhythm and the store's publication rule (forecasts.ts): with the interval ending W, the P5MIN run
// W − 5 min (12 intervals from its own), and at 10 and 40 past the hour the pre-dispatch run of the half hour ending
// W + 20 min, to the end of the trading day (04:00), or of the next one for runs from 12:30.
import type { DuckDBConnection } from '@duckdb/node-api';
import { INTERVAL_S } from '../../shared/nem.ts';
import { avgSql } from './fixed-sum.ts';
import { DEFAULT_FORECAST_DAYS, pruneForecasts, SHOWN_AFTER_S } from './forecasts.ts';
import { inTransaction } from './transaction.ts';
import { MACROS_SQL, regionSql, staticSql, timeSql } from './demo-sql.ts';
import { DEFAULT_DEMO_SEED, PRICE_CAP, PRICE_FLOOR } from './demo-params.ts';

const HALF_HOUR = 1800;
const P5_REACH_S = 11 * INTERVAL_S;

/**
 * SQL: the last half hour of the pre-dispatch run `s` (its first half hour's end): 04:00 ending its trading day, or the
 * next trading day for a run whose first half hour starts at 12:30 or later. Later runs never end sooner.
 */
const pdEndSql = (s: string) => {
  const rel = `((${s} - ${HALF_HOUR} + 36000 - 14400) % 86400)`; // seconds since the trading day began (04:00)
  return `(${s} - ${HALF_HOUR} - ${rel} + 86400 + CASE WHEN ${rel} >= 30600 THEN 86400 ELSE 0 END)`;
};

/** The P5MIN and pre-dispatch run stamps published by the intervals (prev, end]: what appending them adds. */
export function runsFor(prev: number, end: number, firstTs: number): { p5: [number, number]; pd: [number, number] } {
  const p5From = Math.max(prev + INTERVAL_S - SHOWN_AFTER_S.p5min_region, firstTs);
  const p5To = end - SHOWN_AFTER_S.p5min_region;
  // A pre-dispatch run needs its first half hour's six intervals, so none starts before the data.
  const pdFrom =
    Math.ceil(Math.max(prev + 1 - SHOWN_AFTER_S.predispatch_price, firstTs + 1500) / HALF_HOUR) * HALF_HOUR;
  const pdTo = Math.floor((end - SHOWN_AFTER_S.predispatch_price) / HALF_HOUR) * HALF_HOUR;
  return { p5: [p5From, p5To], pd: [pdFrom, pdTo] };
}

const lit = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new Error(`demo forecasts: not an integer: ${n}`);
  return String(n);
};

/**
 * A forecast of `x` (the truth) with relative error `sigma` and noise `e` in [-1, 1); spikes (≥ $300) missed where
 * `miss` holds (a normal price instead), and forecast where `fake` holds though none comes.
 */
const priceSql = (x: string, sigma: string, e: string, miss: string, fake: string, size: string) =>
  `round(demo_clamp(CASE WHEN ${x} >= 300 AND ${miss} THEN least(${x}, 70 + 60 * ${size})
    WHEN ${x} < 300 AND ${fake} THEN 300 + 1500 * ${size}
    ELSE ${x} + abs(${x}) * ${sigma} * ${e} END, ${PRICE_FLOOR}, ${PRICE_CAP}), 2)`;

function p5Sql(s: string, from: number, to: number): string {
  // hh: lead time in hours (0 to 55/60)
  const u = (tag: string, k = 'ts') => `demo_u01(${s}, '${tag}' || region, ${k})`;
  const e = `(2 * ${u('p5e', 'ts::BIGINT * 16 + (ts - run_ts) // 300')} - 1)`;
  return `INSERT INTO p5min_region
WITH j AS (
  SELECT r.range AS run_ts, t.ts, t.region, t.rrp, t.demand_mw, (t.ts - r.range) / 3600.0 AS hh
  FROM range(${lit(from)}, ${lit(to + 1)}, ${INTERVAL_S}) r CROSS JOIN range(0, ${P5_REACH_S / INTERVAL_S + 1}) k
  JOIN demo_truth t ON t.ts = r.range + k.range * ${INTERVAL_S})
SELECT run_ts, ts, region,
  ${priceSql('rrp', '(0.03 + 0.12 * hh)', e, `${u('p5miss')} < 0.1 + 0.5 * hh`, `${u('p5fake')} < 0.0005 + 0.004 * hh`, u('p5size'))},
  round(demand_mw * (1 + (0.004 + 0.02 * hh) * ${e.replace("'p5e'", "'p5d'")}), 3)
FROM j ORDER BY run_ts, ts, region`;
}

function pdSql(s: string, from: number, to: number): string {
  // hd: lead time in days, capped at 1; the truth of a half hour is the mean of its six intervals
  const u = (tag: string, k = 'ts') => `demo_u01(${s}, '${tag}' || region, ${k})`;
  const e = `(2 * ${u('pde', 'ts::BIGINT * 128 + (ts - run_ts) // 1800')} - 1)`;
  const drift = `0.4 * hd * (demo_vn(${s}, 'pdb' || region, ts / 10800.0) - 0.5)`;
  return `CREATE OR REPLACE TEMP TABLE demo_pd AS
WITH p AS (SELECT range AS run_ts, unnest(generate_series(range, ${pdEndSql('range')}, ${HALF_HOUR})) AS ts
  FROM range(${lit(from)}, ${lit(to + 1)}, ${HALF_HOUR})),
h AS (SELECT ((ts + ${HALF_HOUR - 1}) // ${HALF_HOUR}) * ${HALF_HOUR} AS ts, region, ${avgSql('rrp')} AS rrp,
    ${avgSql('demand_mw')} AS demand_mw FROM demo_truth GROUP BY ALL HAVING count(*) = 6),
j AS (SELECT p.run_ts, h.*, least(1, (h.ts - p.run_ts) / 86400.0) AS hd FROM p JOIN h USING (ts))
SELECT run_ts, ts, region,
  ${priceSql(`rrp * (1 + ${drift})`, '(0.05 + 0.3 * hd)', e, `${u('pdmiss')} < 0.25 + 0.6 * hd`, `${u('pdfake')} < 0.002 + 0.02 * hd`, u('pdsize'))} AS rrp,
  round(demand_mw * (1 + (0.01 + 0.05 * hd) * ${e.replace("'pde'", "'pdd'")} + 0.3 * ${drift}), 3) AS totaldemand
FROM j;
INSERT INTO predispatch_price SELECT run_ts, ts, region, rrp FROM demo_pd ORDER BY run_ts, ts, region;
INSERT INTO predispatch_demand SELECT run_ts, ts, region, totaldemand FROM demo_pd ORDER BY run_ts, ts, region;`;
}

/**
 * Writes the runs published by the intervals (prev, watermark] of a demo store whose price rows reach `watermark`
 * (replacing any of them already stored), then prunes runs older than `days`. Uses the builder's TEMP stages on
 * `conn` (it regenerates the intervals after the watermark); the caller owns the transaction and drops the temps.
 */
export async function writeDemoForecasts(
  conn: DuckDBConnection,
  o: {
    seed: number;
    prev: number;
    watermark: number;
    firstTs: number;
    days: number;
    /** The builder's per-run stages (macros, units: demo-sql.ts staticSql) are already on `conn`. */
    staged?: boolean;
  },
): Promise<void> {
  // Runs from a little before the retention: the prune below then leaves what appends to this watermark would keep.
  const { p5, pd } = runsFor(Math.max(o.prev, o.watermark - o.days * 86400 - 3600), o.watermark, o.firstTs);
  const hasP5 = p5[1] >= p5[0];
  const hasPd = pd[1] >= pd[0];
  if (!hasP5 && !hasPd) return;
  const s = lit(o.seed);
  const pdReach = hasPd ? Number((await conn.runAndReadAll(`SELECT ${pdEndSql(lit(pd[1]))}`)).getRows()[0][0]) : 0;
  const reach = Math.max(hasP5 ? p5[1] + P5_REACH_S : 0, pdReach);
  const lo = Math.min(hasP5 ? p5[0] : Infinity, hasPd ? pd[0] - HALF_HOUR : Infinity);
  if (!o.staged) {
    await conn.run(MACROS_SQL);
    await conn.run(staticSql(o.seed));
  }
  if (reach > o.watermark) {
    const future = { seed: o.seed, from: o.watermark + INTERVAL_S, to: reach };
    await conn.run(timeSql(future));
    await conn.run(regionSql(future));
  }
  await conn.run(`CREATE OR REPLACE TEMP TABLE demo_truth AS
    SELECT ts, region, rrp, demand_mw FROM price WHERE ts > ${lit(lo - INTERVAL_S)} AND ts <= ${lit(o.watermark)}
    ${reach > o.watermark ? `UNION ALL SELECT ts, region, rrp, demand_mw FROM demo_r WHERE ts > ${lit(o.watermark)}` : ''}`);
  if (hasP5) {
    await conn.run(`DELETE FROM p5min_region WHERE run_ts BETWEEN ${lit(p5[0])} AND ${lit(p5[1])}`);
    await conn.run(p5Sql(s, p5[0], p5[1]));
  }
  if (hasPd) {
    for (const t of ['predispatch_price', 'predispatch_demand'])
      await conn.run(`DELETE FROM ${t} WHERE run_ts BETWEEN ${lit(pd[0])} AND ${lit(pd[1])}`);
    await conn.run(pdSql(s, pd[0], pd[1]));
  }
  await pruneForecasts(conn, o.days);
}

/** The TEMP tables writeDemoForecasts makes (the builder's stages it regenerates, and its own). */
export const FORECAST_TEMPS = [
  'demo_rp',
  'demo_units',
  'demo_cap',
  'demo_t',
  'demo_coalav',
  'demo_a',
  'demo_flow',
  'demo_r',
  'demo_truth',
  'demo_pd',
] as const;

/**
 * A demo store made before forecasts existed (schema < 5) gets the runs a build today would have made, in one
 * transaction (migrate.ts). Returns false when the store holds no demo.
 */
export async function addDemoForecasts(conn: DuckDBConnection, days = DEFAULT_FORECAST_DAYS): Promise<boolean> {
  const meta = Object.fromEntries(
    (await conn.runAndReadAll(`SELECT key, value FROM meta WHERE key IN ('source', 'demo_seed')`))
      .getRows()
      .map(([k, v]) => [String(k), String(v)]),
  );
  const [wm, first] = (await conn.runAndReadAll('SELECT max(ts), min(ts) FROM price')).getRows()[0];
  if (meta.source !== 'demo' || wm === null || first === null) return false;
  const firstTs = Number(first);
  const o = { seed: Number(meta.demo_seed ?? DEFAULT_DEMO_SEED), prev: firstTs - INTERVAL_S, firstTs, days };
  try {
    await inTransaction(conn, () => writeDemoForecasts(conn, { ...o, watermark: Number(wm) }));
  } finally {
    for (const t of FORECAST_TEMPS) await conn.run(`DROP TABLE IF EXISTS temp.${t}`);
  }
  return true;
}
