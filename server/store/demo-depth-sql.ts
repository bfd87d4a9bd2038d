// The demo's market-depth rows, from the stages of demo-sql.ts (demo_units, demo_r): `unit_dispatch` for
// semi-scheduled wind and solar farms and for batteries, then `regionsum` per region summing them.
//
// Wind and solar: UIGF is the unit's output before curtailment (demo_r.curt, which the price model sets where a
// region's surplus outlasts its exports and pumping: sunny middays at negative prices, links at their limits);
// TOTALCLEARED is its SCADA; SEMIDISPATCHCAP = 1 where curtailment took something off.
//
// Batteries: ENERGY_STORAGE is a state of charge that integrates the SCADA, in closed form so that one appended
// interval needs nothing but itself. A battery's MW is cap × b × (ad × D(h) − ac × C(h)): b the region's cycle
// intensity for the NEM day, D and C fixed discharge and charge shapes (demo_dsh, demo_csh). So within a day it
// charges from midnight until one interval k (where ad × D overtakes ac × C, ~16:00) and discharges after, and
// the MWh moved up to any interval i are cap × b / 12 × (prefix sums of D and C up to i): one 288-row table of
// prefix sums per day (demo_bat_day) and a few constants per battery (demo_bat_units) give
//   SOC(i) = S0 + η × MWh charged up to i − MWh discharged up to i ÷ η,
// with η = √(MWh out ÷ MWh in of a day), which does not depend on b: every day ends at S0, where the next begins.
// The round trip η² is what the demo's charge and discharge amplitudes imply (about 0.7–0.82). The SOC steps use the
// unrounded MW, so they differ from −SCADA × 5/60 × η (or ÷ η) by at most the SCADA's rounding (0.0005 MW).
import { curtailableMw, roundMw, scadaMwSql, type DemoRange } from './demo-sql.ts';

/** The per-day prefix sums and per-battery constants of the state of charge (TEMP tables; see above). */
function batterySetupSql(): string {
  return `
CREATE OR REPLACE TEMP TABLE demo_bat_day AS
WITH s AS (SELECT range AS i, demo_dsh((range * 300 + 150) / 3600.0, 1) AS dd, demo_csh((range * 300 + 150) / 3600.0, 1) AS cc
  FROM range(0, 288)),
p AS (SELECT *, sum(dd) OVER (ORDER BY i) AS pd, sum(cc) OVER (ORDER BY i) AS pc FROM s)
SELECT *, lag(pd, 1, 0) OVER (ORDER BY i) AS pd_prev, lag(pc, 1, 0) OVER (ORDER BY i) AS pc_prev FROM p;
CREATE OR REPLACE TEMP TABLE demo_bat_units AS
WITH x AS (
  -- a battery's one-way halves (a load-only or generator-only DUID) have no state of charge of their own
  SELECT u.duid, u.cap, u.ad, u.ac, u.storage, max(b.i) FILTER (u.ad * b.dd < u.ac * b.cc) AS k
  FROM demo_units u CROSS JOIN demo_bat_day b WHERE u.kind = 'battery' AND u.ad > 0 AND u.ac > 0 GROUP BY ALL),
y AS (
  SELECT x.*, b.pd AS pd_k, b.pc AS pc_k, ${charged('x', 'b.pd', 'b.pc')} AS c_in,
    ${discharged('x', 'l.pd', 'l.pc', 'b.pd', 'b.pc')} AS d_out
  FROM x JOIN demo_bat_day b ON b.i = x.k JOIN demo_bat_day l ON l.i = 287),
z AS (SELECT *, sqrt(d_out / c_in) AS eta FROM y)
-- start-of-day MWh: 10% of storage, or less where the day's peak (largest when b = 1) could come near full
SELECT duid, k, pd_k, pc_k, c_in, eta,
  round(greatest(0, least(0.1 * storage, storage - eta * cap / 12 * c_in - 0.001)), 3) AS s0
FROM z;
`;
}

// Per MW of capacity and unit of b, in MW-intervals, from prefix sums pd and pc of D and C: what battery `u` charged
// up to an interval (ac × ΣC − ad × ΣD), and what it discharged after interval k (prefix sums pdk, pck) up to one.
// Spelled once, so the per-battery day totals and the per-interval values are the same doubles.
const charged = (u: string, pd: string, pc: string) => `(${u}.ac * ${pc} - ${u}.ad * ${pd})`;
const discharged = (u: string, pd: string, pc: string, pdk: string, pck: string) =>
  `(${u}.ad * (${pd} - ${pdk}) - ${u}.ac * (${pc} - ${pck}))`;

/** SOC after interval i (prev = '') or before it (prev = '_prev', the prefix sums up to i - 1). */
function socSql(prev: '' | '_prev'): string {
  const mwh = '(u.cap * r.bat_int / 12)';
  const i = prev ? 'b.i - 1' : 'b.i';
  const [pd, pc] = [`b.pd${prev}`, `b.pc${prev}`];
  return `round(s.s0 + CASE WHEN ${i} <= s.k THEN s.eta * ${mwh} * ${charged('u', pd, pc)}
    ELSE s.eta * ${mwh} * s.c_in - ${mwh} * ${discharged('u', pd, pc, 's.pd_k', 's.pc_k')} / s.eta END, 3)`;
}

/** unit_dispatch rows of the batteries for the intervals of demo_r. */
function batterySql(s: string): string {
  return `
SELECT r.ts, u.duid, ${scadaMwSql(s, ['battery'])} AS totalcleared, u.cap AS availability, 0 AS semidispatchcap,
  NULL AS uigf, ${socSql('_prev')} AS initial_energy_storage, ${socSql('')} AS energy_storage
FROM demo_r r JOIN demo_units u ON u.region = r.region
JOIN demo_bat_day b ON b.i = ((r.ts - 300 + 36000) % 86400) // 300
LEFT JOIN demo_bat_units s ON s.duid = u.duid
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
        SELECT r.ts, r.region, sum(${kw(scadaMwSql(s, ['solar', 'wind', 'hydro', 'bio']))}) AS kw
        FROM demo_r r JOIN demo_units u ON u.region = r.region WHERE u.nonsched GROUP BY ALL)
      SELECT r.ts, r.region, r.demand_mw, round(r.demand_mw + ${mw('ns.kw')}, 3), round(-r.net_import, 3),
        ${mw('solar_uigf')}, ${mw('wind_uigf')}, ${mw('solar_mw')}, ${mw('wind_mw')}, ${mw('solar_av')}, ${mw('wind_av')},
        ${mw('bat_gen')}, ${mw('bat_load')}
      FROM demo_r r LEFT JOIN ud USING (ts, region) LEFT JOIN ns USING (ts, region)
      ORDER BY r.ts, r.region`,
  };
}
