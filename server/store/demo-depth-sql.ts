// The demo's market-depth rows, from the stages of demo-sql.ts (demo_units, demo_r): `unit_dispatch` for
// semi-scheduled wind and solar farms and for batteries, then `regionsum` per region summing them.
//
// Wind and solar: UIGF is the unit's output before curtailment (demo_r.curt, which the price model sets where a
// region's surplus outlasts its exports and pumping: sunny middays at negative prices, links at their limits);
// TOTALCLEARED is its SCADA; SEMIDISPATCHCAP = 1 where curtailment took something off.
//
// Batteries: ENERGY_STORAGE is a state of charge that integrates the SCADA, in closed form, so that one appended
// interval needs nothing but itself. A battery's MW is cap × b × (ad × D(h) − ac × C(h)): b the region's cycle
// intensity for the NEM day, D and C fixed discharge and charge shapes (demo_dsh, demo_csh). So each day it
// charges from midnight until one interval k (where ad × D overtakes ac × C, ~16:00) and discharges after, and
// the MWh it moved up to interval i are cap × b / 12 × prefix sums of D and C, the same every day:
//   SOC(i) = S0 + η × MWh charged up to i − MWh discharged up to i ÷ η,
// with η = √(a day's MWh out ÷ MWh in), which b does not change: every day ends at S0, where the next begins. The
// round trip η² is what the demo's charge and discharge amplitudes imply (0.70–0.82). The steps use the unrounded
// MW, so they differ from −SCADA × 5/60 × η (or ÷ η) by at most the SCADA's rounding (0.0005 MW).
import { curtailableMw, roundMw, scadaMwSql, type DemoRange } from './demo-sql.ts';

/**
 * demo_bat_soc: per battery and interval i of a NEM day (0 = the one ending 00:05), S0 and Q(i), Q(i - 1) such that
 * SOC after interval i = S0 + cap × b / 12 × Q(i). Q(i) = η × charged up to i for i ≤ k, η × charged up to k −
 * discharged after k up to i ÷ η beyond, where charged and discharged are prefix sums of the demo's MW per MW and
 * unit of b (ac × C − ad × D, its opposite). Q(287) = 0 bar rounding: η² is the day's discharged ÷ charged.
 */
function batterySetupSql(): string {
  const h = '(range * 300 + 150) / 3600.0'; // the middle of interval i, as demo_t's h
  return `
CREATE OR REPLACE TEMP TABLE demo_bat_soc AS
WITH s AS (SELECT range AS i, demo_dsh(${h}, 1) AS dd, demo_csh(${h}, 1) AS cc FROM range(0, 288)),
p AS (SELECT *, sum(dd) OVER (ORDER BY i) AS pd, sum(cc) OVER (ORDER BY i) AS pc FROM s),
x AS (
  -- a battery's one-way halves (a load-only or generator-only DUID) have no state of charge of their own
  SELECT u.duid, u.cap, u.ad, u.ac, u.storage, max(p.i) FILTER (u.ad * p.dd < u.ac * p.cc) AS k
  FROM demo_units u CROSS JOIN p WHERE u.kind = 'battery' AND u.ad > 0 AND u.ac > 0 GROUP BY ALL),
y AS (
  SELECT x.*, pk.pd AS pd_k, pk.pc AS pc_k, x.ac * pk.pc - x.ad * pk.pd AS c_in,
    ${discharged('x', 'pe', 'pk.pd', 'pk.pc')} AS d_out
  FROM x JOIN p pk ON pk.i = x.k JOIN p pe ON pe.i = 287),
z AS (SELECT *, sqrt(d_out / c_in) AS eta FROM y),
q AS (
  SELECT z.duid, p.i,
    -- start-of-day MWh: 10% of storage, or less where the day's peak (largest when b = 1) could come near full
    round(greatest(0, least(0.1 * z.storage, z.storage - z.eta * z.cap / 12 * z.c_in - 0.001)), 3) AS s0,
    CASE WHEN p.i <= z.k THEN z.eta * (z.ac * p.pc - z.ad * p.pd)
      ELSE z.eta * z.c_in - ${discharged('z', 'p', 'z.pd_k', 'z.pc_k')} / z.eta END AS q
  FROM z CROSS JOIN p)
SELECT duid, i, s0, q, lag(q, 1, 0) OVER (PARTITION BY duid ORDER BY i) AS q_prev FROM q;
`;
}

/** Discharged after interval k (prefix sums pdk, pck) up to the interval of prefix sums p.pd, p.pc; spelled once. */
const discharged = (u: string, p: string, pdk: string, pck: string) =>
  `(${u}.ad * (${p}.pd - ${pdk}) - ${u}.ac * (${p}.pc - ${pck}))`;

/** unit_dispatch rows of the batteries for the intervals of demo_r. */
function batterySql(s: string): string {
  const soc = (q: string) => `round(b.s0 + u.cap * r.bat_int / 12 * b.${q}, 3)`;
  return `
SELECT r.ts, u.duid, ${scadaMwSql(s, ['battery'])} AS totalcleared, u.cap AS availability, 0 AS semidispatchcap,
  NULL AS uigf, ${soc('q_prev')} AS initial_energy_storage, ${soc('q')} AS energy_storage
FROM demo_r r JOIN demo_units u ON u.region = r.region
LEFT JOIN demo_bat_soc b ON b.duid = u.duid AND b.i = ((r.ts - 300 + 36000) % 86400) // 300
WHERE u.kind = 'battery'`;
}

/** The INSERTs for unit_dispatch and then regionsum (which sums the former), for r's intervals. */
export function depthSql(r: DemoRange): { setup: string; unitDispatch: string; regionsum: string } {
  const s = String(r.seed);
  const kw = (x: string) => `round(${x} * 1000)::BIGINT`;
  const mw = (kwSum: string) => `coalesce(${kwSum}, 0)::DOUBLE / 1000`;
  return {
    setup: batterySetupSql(),
    unitDispatch: `INSERT INTO unit_dispatch
      ${Object.entries(curtailableMw(s))
        .map(([kind, m]) => {
          // the same expression as its SCADA, once with the curtailment and once without
          const cleared = roundMw(m.mw('cap', `pre * (1 - curt) * post`), 'cap');
          const uigf = roundMw(m.mw('cap', `pre * 1 * post`), 'cap');
          return `SELECT ts, duid, cleared, uigf, (uigf > cleared)::INTEGER, uigf, NULL, NULL FROM (
            SELECT ts, duid, ${cleared} AS cleared, ${uigf} AS uigf FROM (
              SELECT r.ts, r.curt, u.duid, u.cap, ${m.pre} AS pre, ${m.post} AS post
              FROM demo_r r JOIN demo_units u ON u.region = r.region WHERE u.semi AND u.kind = '${kind}'))`;
        })
        .join('\n      UNION ALL ')}
      UNION ALL (${batterySql(s)})`,
    // sums of whole kW: exact, so the same bits whatever order DuckDB adds them in
    regionsum: `INSERT INTO regionsum
      WITH ud AS (
        SELECT d.ts, u.region,
          sum(${kw('d.uigf')}) FILTER (u.kind = 'solar') AS solar_uigf, sum(${kw('d.uigf')}) FILTER (u.kind = 'wind') AS wind_uigf,
          sum(${kw('d.totalcleared')}) FILTER (u.kind = 'solar') AS solar_mw, sum(${kw('d.totalcleared')}) FILTER (u.kind = 'wind') AS wind_mw,
          sum(${kw('d.availability')}) FILTER (u.kind = 'solar') AS solar_av, sum(${kw('d.availability')}) FILTER (u.kind = 'wind') AS wind_av,
          sum(greatest(${kw('d.totalcleared')}, 0)) FILTER (u.kind = 'battery') AS bat_gen,
          sum(greatest(-${kw('d.totalcleared')}, 0)) FILTER (u.kind = 'battery') AS bat_load
        FROM unit_dispatch d JOIN demo_units u USING (duid) WHERE d.ts BETWEEN ${r.from} AND ${r.to} GROUP BY ALL),
      ns AS (
        SELECT ts, region, sum(kw) AS kw FROM (${(['solar', 'wind', 'hydro', 'bio'] as const)
          .map(
            (kind) => `SELECT r.ts, r.region, ${kw(scadaMwSql(s, [kind]))} AS kw
          FROM demo_r r JOIN demo_units u ON u.region = r.region WHERE u.nonsched AND u.kind = '${kind}'`,
          )
          .join(' UNION ALL ')})
        GROUP BY ALL)
      SELECT r.ts, r.region, r.demand_mw, round(r.demand_mw + ${mw('ns.kw')}, 3), round(-r.net_import, 3),
        ${mw('solar_uigf')}, ${mw('wind_uigf')}, ${mw('solar_mw')}, ${mw('wind_mw')}, ${mw('solar_av')}, ${mw('wind_av')},
        ${mw('bat_gen')}, ${mw('bat_load')}
      FROM demo_r r LEFT JOIN ud USING (ts, region) LEFT JOIN ns USING (ts, region)
      ORDER BY r.ts, r.region`,
  };
}
