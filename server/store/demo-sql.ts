// The demo's generating SQL. Everything is a pure function of (seed, interval, unit): noise is hash-based, weather
// is smooth value noise between hashed knots, so building a year and appending one interval run the same
// statements over different time ranges and produce the same numbers for the same interval.
//
// Stages, each a TEMP table on the builder's connection:
//   demo_units / demo_cap   registry → per-unit parameters (kind, merit order, battery amplitudes) and regional sums
//   demo_t                  one row per interval: NEM hour, day, season
//   demo_coalav             available coal MW per region and NEM day (units out for days at a time)
//   demo_a                  per region × interval: weather, demand, rooftop, pre-trade balance and price signal
//   demo_flow               per interconnector × interval: flow toward the dearer region, within limits
//   demo_r                  per region × interval: net import, flexible dispatch, curtailment, final price
// and the INSERTs that turn those into price, interconnector, rooftop and scada rows. demo-depth-sql.ts adds the
// market-depth rows (unit_dispatch, regionsum) from the same stages.
import { flowSql, LOSS_FACTOR, NET_IMPORT, NUM } from './demo-flows.ts';
import { IC_PARAMS, PRICE_CAP, PRICE_FLOOR, REGION_PARAMS, ROOFTOP_SPLIT } from './demo-params.ts';
import { REGION_LIST } from './rollups.ts';

export interface DemoRange {
  seed: number;
  /** First and last interval END (epoch seconds, multiples of 300), inclusive. */
  from: number;
  to: number;
}

const INT = (n: number, what: string) => {
  if (!Number.isSafeInteger(n)) throw new Error(`demo: ${what} must be an integer, got ${n}`);
  return String(n);
};
const KIND = { coal: 1, solar: 2, wind: 3, gas: 4, hydro: 5, pump: 6, battery: 7, bio: 8, other: 9 } as const;
const KIND_CODE = `CASE kind ${Object.entries(KIND)
  .map(([k, v]) => `WHEN '${k}' THEN ${v}`)
  .join(' ')} END::TINYINT`;

/**
 * Helpers as TEMP macros (per connection). u01 maps a hash to [0,1); vn is smooth value noise, knots at integers of x.
 */
export const MACROS_SQL = `
CREATE OR REPLACE TEMP MACRO demo_u01(a, b, c) AS (hash(a, b, c) >> 11)::DOUBLE / 9007199254740992.0;
CREATE OR REPLACE TEMP MACRO demo_ss(f) AS f * f * (3 - 2 * f);
CREATE OR REPLACE TEMP MACRO demo_vn(a, b, x) AS
  demo_u01(a, b, floor(x)::BIGINT) + (demo_u01(a, b, floor(x)::BIGINT + 1) - demo_u01(a, b, floor(x)::BIGINT)) * demo_ss(x - floor(x));
CREATE OR REPLACE TEMP MACRO demo_clamp(x, lo, hi) AS least(greatest(x, lo), hi);
CREATE OR REPLACE TEMP MACRO demo_bump(x, c, w) AS exp(-((x - c) / w) * ((x - c) / w));
CREATE OR REPLACE TEMP MACRO demo_step(x, a, b) AS demo_ss(demo_clamp((x - a) / (b - a), 0, 1));
-- clear-sky output: a sine arch from sunrise to sunset around solar noon, zero at night
CREATE OR REPLACE TEMP MACRO demo_clear(h, noon, len) AS pow(greatest(0, sin(pi() * (h - noon + len / 2) / len)), 1.25);
-- cloud: a one-day-scale weather field per region; about a third of the time clear skies
CREATE OR REPLACE TEMP MACRO demo_cloud(s, r, th) AS 1 - 0.7 * demo_clamp((demo_vn(s, 'cloud' || r, th / 20) - 0.38) * 1.9, 0, 1);
-- a coal unit is on unless its 6-day block (staggered per unit) drew a forced outage or its 30-day block an overhaul
CREATE OR REPLACE TEMP MACRO demo_avail(s, uid, d) AS
  CASE WHEN demo_u01(s, uid * 8 + 1, (d + uid % 6) // 6) < 0.07 OR demo_u01(s, uid * 8 + 2, (d + uid % 30) // 30) < 0.04 THEN 0 ELSE 1 END;
-- batteries: the shares of their discharge and charge amplitudes at hour h, given the day's cycle intensity b
CREATE OR REPLACE TEMP MACRO demo_dsh(h, b) AS demo_bump(h, 18.8, 1.4) * b;
CREATE OR REPLACE TEMP MACRO demo_csh(h, b) AS demo_bump(h, 12.4, 2.0) * b;
`;

/** Per-run constants: region and interconnector parameters, the unit list with demo parameters, regional capacities. */
export function staticSql(seed: number): string {
  const s = INT(seed, 'seed');
  const rp = REGION_PARAMS.map(
    (p) =>
      `('${p.region}', ${NUM(p.demand)}, ${NUM(p.roofCap)}, ${NUM(p.noon)}, ${NUM(p.dayLen)}, ${NUM(p.winterLoss)}, ${NUM(p.windCf)}, ` +
      `${NUM(p.windNight)}, ${NUM(p.windSeason)}, ${NUM(p.windLag)}, ${NUM(p.heat)}, ${NUM(p.cool)}, ${NUM(p.hydroBase)}, ` +
      `${NUM(p.hydroShare)}, ${NUM(p.gasMin)}, ${NUM(p.coalMin)}, ${NUM(p.coalPush)}, ${NUM(p.eventRate)})`,
  );
  return `
CREATE OR REPLACE TEMP TABLE demo_rp AS SELECT * FROM (VALUES ${rp.join(', ')}) v(region, demand, roof_cap, noon, day_len,
  winter_loss, wind_cf, wind_night, wind_season, wind_lag, heat, cool, hydro_base, hydro_share, gas_min, coal_min, coal_push, event_rate);
CREATE OR REPLACE TEMP TABLE demo_units AS
WITH u AS (
  SELECT duid, region, capacity_mw AS cap, row_number() OVER (ORDER BY duid)::BIGINT AS uid,
    CASE
      WHEN fuel = 'Coal' THEN 'coal' WHEN fuel = 'Solar' THEN 'solar' WHEN fuel = 'Wind' THEN 'wind' WHEN fuel = 'Gas' THEN 'gas'
      WHEN fuel = 'Hydro' AND dispatch_type = 'Load' THEN 'pump' WHEN fuel = 'Hydro' THEN 'hydro'
      WHEN fuel = 'Battery' THEN 'battery' WHEN fuel = 'Biomass' THEN 'bio' ELSE 'other' END AS kind,
    coalesce(technology, '') ILIKE '%combined cycle%' AS ccgt, dispatch_type,
    -- hours of storage at full output; unknown → 2 h (FACTS §2: 1.5–2 h typical)
    demo_clamp(coalesce(storage_mwh, 2 * capacity_mw) / capacity_mw, 0.5, 4) AS hours,
    -- MWh a battery holds: as registered, or what its demo output assumes where that is more (unknown → 2 h;
    -- one unit, DALNTH1, registers 0.41 h and is cycled as if it had 0.5 h)
    greatest(coalesce(storage_mwh, 2 * capacity_mw), 0.5 * capacity_mw) AS storage
  FROM units WHERE region IN (${REGION_LIST}) AND capacity_mw > 0),
v AS (
  SELECT *,
    -- unit-to-unit spread of output per MW (tracking vs fixed PV, windier sites)
    0.85 + 0.25 * demo_u01(${s}, uid, 11) AS e,
    -- gas merit order: CCGTs first, then the rest in a seeded order
    (CASE WHEN ccgt THEN 0 ELSE 1 END) + demo_u01(${s}, uid, 12) AS merit,
    -- discharge spans ~2.5 h-equivalent around the evening peak; charging ~3.5 h at midday with 84% round trip
    CASE WHEN kind = 'battery' AND coalesce(dispatch_type, '') <> 'Load' THEN least(0.9, 0.85 * hours / 2.5) ELSE 0 END AS ad,
    CASE WHEN kind = 'battery' AND coalesce(dispatch_type, '') <> 'Generating Unit' THEN least(0.9, 0.85 * hours / 2.5 * 2.5 / 3.5 / 0.84) ELSE 0 END AS ac
  FROM u)
SELECT *, coalesce(sum(cap) OVER (PARTITION BY region, kind ORDER BY merit, duid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum,
  -- the kind as a small integer: the per-row CASE in the SCADA insert compares it ~50 M times
  ${KIND_CODE} AS k,
  -- the registry has no classification column: wind and solar farms of 30 MW or more are semi-scheduled (AEMO's
  -- threshold); smaller wind, solar, hydro and biomass units are non-scheduled
  kind IN ('solar', 'wind') AND cap >= 30 AS semi,
  kind IN ('solar', 'wind', 'hydro', 'bio') AND cap < 30 AS nonsched
FROM v;
CREATE OR REPLACE TEMP TABLE demo_cap AS
SELECT p.region,
  round(coalesce(sum(cap ORDER BY duid) FILTER (kind = 'coal'), 0), 6) AS coal,
  round(coalesce(sum(cap * e ORDER BY duid) FILTER (kind = 'solar'), 0), 6) AS solar,
  round(coalesce(sum(cap * e ORDER BY duid) FILTER (kind = 'wind'), 0), 6) AS wind,
  round(coalesce(sum(cap ORDER BY duid) FILTER (kind = 'gas'), 0), 6) AS gas,
  round(coalesce(sum(cap ORDER BY duid) FILTER (kind = 'hydro'), 0), 6) AS hydro,
  round(coalesce(sum(cap ORDER BY duid) FILTER (kind = 'pump'), 0), 6) AS pump,
  round(coalesce(sum(cap * ad ORDER BY duid) FILTER (kind = 'battery'), 0), 6) AS batd,
  round(coalesce(sum(cap * ac ORDER BY duid) FILTER (kind = 'battery'), 0), 6) AS batc,
  round(coalesce(sum(cap ORDER BY duid) FILTER (kind = 'bio'), 0), 6) AS bio,
  round(coalesce(sum(cap ORDER BY duid) FILTER (kind = 'other'), 0), 6) AS other
FROM demo_rp p LEFT JOIN demo_units u USING (region) GROUP BY p.region;
`;
}

/** One row per interval END from..to (inclusive): its NEM hour h (of the interval's middle), NEM day d and more. */
function gridSql(from: number, to: number): string {
  return `WITH g AS (SELECT range AS ts, ((range + 1799) // 1800) * 1800 AS b30 FROM range(${INT(from, 'from')}, ${INT(to, 'to')} + 1, 300))
SELECT ts::INTEGER AS ts, b30::INTEGER AS b30,
  (ts - 150) / 3600.0 AS th, (b30 - 900) / 3600.0 AS th30,
  ((ts - 150 + 36000) % 86400) / 3600.0 AS h,
  ((b30 - 900 + 36000) % 86400) / 3600.0 AS h30,
  (ts - 150 + 36000) // 86400 AS d,
  -- season angle: 0 at mid-January (midsummer), pi at mid-July
  2 * pi() * ((ts - 150 + 36000) / 86400.0 - 20468) / 365.25 AS ang
FROM g`;
}

/** The interval grid and per-day coal availability for a range. */
export function timeSql(r: DemoRange): string {
  const s = INT(r.seed, 'seed');
  return `
CREATE OR REPLACE TEMP TABLE demo_t AS ${gridSql(r.from, r.to)};
CREATE OR REPLACE TEMP TABLE demo_coalav AS
SELECT u.region, t.d, round(sum(u.cap * demo_avail(${s}, u.uid, t.d) ORDER BY u.duid), 6) AS cav
FROM (SELECT DISTINCT d FROM demo_t) t CROSS JOIN demo_units u WHERE u.kind = 'coal' GROUP BY ALL;
`;
}

/**
 * Region × interval: weather, demand, pre-trade balance (demo_a); flows (demo_flow); final dispatch and price (demo_r).
 */
export function regionSql(r: DemoRange): string {
  const s = INT(r.seed, 'seed');
  return `
CREATE OR REPLACE TEMP TABLE demo_a AS
WITH w AS (
  SELECT t.ts, t.b30, t.th, t.h, t.d, p.*, c.* EXCLUDE (region),
    cos(t.ang) AS summer, greatest(0, -cos(t.ang)) AS winter, greatest(0, cos(t.ang)) AS hot_season,
    ((t.d + 3) % 7 >= 5)::INTEGER AS weekend,
    demo_clear(t.h, p.noon, 12 + p.day_len * cos(t.ang)) * (1 - p.winter_loss * greatest(0, -cos(t.ang))) AS clear,
    demo_clear(t.h30, p.noon, 12 + p.day_len * cos(t.ang)) * (1 - p.winter_loss * greatest(0, -cos(t.ang))) AS clear30,
    demo_cloud(${s}, p.region, t.th) AS cloudf,
    demo_cloud(${s}, p.region, t.th30) AS cloudf30,
    -- wind: a front crossing all regions west to east (2.5-day knots), a regional system and gusts
    0.55 * demo_vn(${s}, 'front', (t.th - p.wind_lag) / 60) + 0.30 * demo_vn(${s}, 'wind' || p.region, t.th / 30)
      + 0.15 * demo_vn(${s}, 'gust' || p.region, t.th / 5) AS wraw,
    (1 + p.wind_season * cos(t.ang - 3.65)) * (1 + p.wind_night / (2 * p.wind_cf) * cos(2 * pi() * (t.h - 2) / 24)) AS wshape,
    demo_vn(${s}, 'temp' || p.region, t.th / 40) - 0.5 AS temp,
    0.55 + 0.45 * demo_u01(${s}, 'bat' || p.region, t.d) AS bat_int,
    coalesce(ca.cav, 0) AS cav,
    demo_u01(${s}, 'noise' || p.region, t.ts) AS n
  FROM demo_t t CROSS JOIN demo_rp p JOIN demo_cap c ON c.region = p.region
  LEFT JOIN demo_coalav ca ON ca.region = p.region AND ca.d = t.d),
x AS (
  SELECT *,
    -- underlying demand: overnight trough, morning and evening peaks, daytime plateau; heating and cooling
    demand * 1.01 * (0.78 - 0.04 * demo_bump(h, 4, 1.6)
        + 0.08 * demo_bump(h, 7.8, 1.3) * (1 + 0.8 * winter)
        + 0.36 * demo_step(h, 5.5, 9) * (1 - demo_step(h, 17, 23.5))
        + 0.07 * demo_bump(h, 18.6, 1.7) * (1 + 0.5 * winter))
      * (1 + heat * (winter - 0.32) + cool * (hot_season - 0.32))
      * (1 + 2.5 * cool * greatest(0, temp) * hot_season * demo_bump(h, 16.5, 3.5))
      * (1 + 1.5 * heat * greatest(0, -temp) * winter * (demo_bump(h, 8, 2) + demo_bump(h, 19, 2)))
      * (1 - 0.05 * weekend * demo_step(h, 6, 9) * (1 - demo_step(h, 20, 23)))
      * (1 + 0.01 * (n - 0.5)) AS underlying,
    roof_cap * 0.68 * clear30 * cloudf30 AS roof,
    solar * 0.8 * clear * cloudf AS s_av,
    wind * demo_clamp(wind_cf * 2.8 * pow(demo_clamp(0.5 + (wraw - 0.5) * 2.4, 0, 1), 1.6) * wshape, 0.01, 0.95) AS w_av,
    demo_clamp(wind_cf * 2.8 * pow(demo_clamp(0.5 + (wraw - 0.5) * 2.4, 0, 1), 1.6) * wshape, 0.01, 0.95) AS wcf,
    bio * 0.55 AS bio_mw,
    hydro * hydro_base AS hyd_base,
    (batd * demo_bump(h, 18.8, 1.4) - batc * demo_bump(h, 12.4, 2.0)) * bat_int AS bat_mw,
    least(gas_min, 0.9 * gas) AS gas_min_mw
  FROM w),
y AS (
  SELECT *, underlying - roof AS demand_mw,
    underlying - roof - s_av - w_av - bio_mw - hyd_base - bat_mw - gas_min_mw AS r0
  FROM x)
SELECT *,
  demo_clamp(r0 - 0.06 * demand_mw + coal_push * cav, coal_min * cav, 0.92 * cav) AS coal_mw,
  r0 - demo_clamp(r0 - 0.06 * demand_mw + coal_push * cav, coal_min * cav, 0.92 * cav) AS xr,
  greatest(gas - gas_min_mw, 0) + hydro * (1 - hydro_base) + other + 1 AS flex,
  -- what a region can do about a shortfall or surplus: flexible plant, plus curtailable wind and solar
  greatest(gas - gas_min_mw, 0) + hydro * (1 - hydro_base) + other + 1 + 0.3 * (s_av + w_av) AS cap_t
FROM y;

${flowSql(s)}
CREATE OR REPLACE TEMP TABLE demo_r AS
WITH b AS (
  SELECT a.*, ${NET_IMPORT} AS net_import, a.xr - ${NET_IMPORT} AS xp, ${LOSS_FACTOR} AS loss_f,
    demo_u01(${s}, 'price', a.ts) AS pn
  FROM demo_a a JOIN demo_flow f USING (ts)),
c AS (
  SELECT *,
    least(greatest(xp, 0) * hydro_share, 0.9 * hydro * (1 - hydro_base)) AS hyd_pk,
    least(greatest(xp, 0) - least(greatest(xp, 0) * hydro_share, 0.9 * hydro * (1 - hydro_base)), 0.95 * greatest(gas - gas_min_mw, 0)) AS gas_x,
    least(greatest(-xp, 0), 0.9 * pump) AS pump_mw
  FROM b),
e AS (
  SELECT *,
    least(greatest(xp, 0) - hyd_pk - gas_x, 0.9 * hydro * (1 - hydro_base) - hyd_pk) AS hyd_x,
    least(greatest(-xp, 0) - pump_mw, 0.97 * (s_av + w_av)) AS curt_mw
  FROM c),
f AS (
  SELECT *,
    least(greatest(xp, 0) - hyd_pk - gas_x - hyd_x, 0.9 * other) AS oth_mw,
    -- a price event (trip, heatwave, network outage) on some days, for up to 1.5 h around the evening peak
    demo_u01(${s}, 'ev' || region, d) < event_rate
      AND h BETWEEN 16.5 + 4 * demo_u01(${s}, 'evh' || region, d) AND 16.8 + 4 * demo_u01(${s}, 'evh' || region, d) + 1.2 * demo_u01(${s}, 'evd' || region, d) AS ev,
    -- one price curve for every region, rising with tightness, so power flows toward the dearer region; surplus
    -- goes deeply negative only by day (solar bids below zero), a windy night's surplus clears near zero
    (CASE WHEN xp < 0 THEN 12 - 72 * (0.3 + 0.7 * demo_bump(h, 12.5, 3.0)) * pow(least(1, -xp / cap_t / 0.3), 0.6)
      ELSE (55 + 450 * xp / cap_t + 3000 * pow(greatest(0, xp / cap_t - 0.3), 2)) * (1 + 0.5 * demo_bump(h, 18.7, 1.5)) END)
      * (0.97 + 0.06 * pn) AS p_raw
  FROM e)
SELECT ts, region, th, h, d, n, xp / cap_t AS tau, bat_int,
  round(demand_mw, 3) AS demand_mw, roof, s_av, w_av, coal_mw, net_import, xp,
  round(demo_clamp(CASE WHEN ev THEN 1000 + (${PRICE_CAP} - 1000) * pow(n, 6) ELSE p_raw + abs(p_raw) * loss_f END,
    ${PRICE_FLOOR}, ${PRICE_CAP}), 2) AS rrp,
  CASE WHEN cav > 0 THEN coal_mw / cav ELSE 0 END AS coal_lvl,
  0.8 * clear * cloudf AS scf,
  wcf,
  CASE WHEN s_av + w_av > 0 THEN curt_mw / (s_av + w_av) ELSE 0 END AS curt,
  gas_min_mw + gas_x AS gas_mw,
  CASE WHEN hydro > 0 THEN (hyd_base + hyd_pk + hyd_x) / hydro ELSE 0 END AS hyd_lvl,
  CASE WHEN pump > 0 THEN pump_mw / pump ELSE 0 END AS pump_lvl,
  -- liquid-fuel peakers run only when the market is short or in a price event
  CASE WHEN other > 0 THEN greatest(oth_mw / other, CASE WHEN ev THEN 0.7 ELSE 0 END) ELSE 0 END AS oth_lvl,
  demo_dsh(h, bat_int) AS dsh, demo_csh(h, bat_int) AS csh
FROM f
ORDER BY ts, region;
`;
}

/**
 * Wind and solar MW as `mw(cap, pre × kept × post)`, kept = the share left after curtailment: split so that what the
 * weather allowed (kept = 1) and what was dispatched can share the costly pre and post (demo-depth-sql.ts).
 */
export function curtailableMw(s: string) {
  return {
    solar: {
      pre: 'u.cap * u.e * r.scf',
      post: `(0.985 + 0.03 * demo_u01(${s}, u.uid, r.ts))`,
      mw: (_cap: string, x: string) => x,
    },
    // each farm sees its own gusts on top of the regional weather
    wind: {
      pre: `r.wcf * u.e * (0.75 + 0.5 * demo_vn(${s}, u.uid, r.th / 10))`,
      post: `(0.98 + 0.04 * demo_u01(${s}, u.uid, r.ts))`,
      mw: (cap: string, x: string) => `${cap} * least(0.97, ${x})`,
    },
  };
}

/** MW of one unit in one interval, by kind, from its region's levels in demo_r (clamped to ±capacity by the caller). */
function unitMw(s: string): Record<keyof typeof KIND, string> {
  const { solar, wind } = curtailableMw(s);
  return {
    // available units follow the region's coal level; out-of-service ones (outage blocks) are at zero
    coal: `u.cap * demo_avail(${s}, u.uid, r.d) * r.coal_lvl * (0.99 + 0.02 * demo_u01(${s}, u.uid, r.ts))`,
    solar: solar.mw('u.cap', `${solar.pre} * (1 - r.curt) * ${solar.post}`),
    wind: wind.mw('u.cap', `${wind.pre} * (1 - r.curt) * ${wind.post}`),
    // merit order: a unit runs once the region's gas need exceeds the capacity ahead of it
    gas: `greatest(0, r.gas_mw - u.cum)`,
    hydro: `u.cap * r.hyd_lvl * (0.7 + 0.6 * demo_vn(${s}, u.uid, r.th / 36))`,
    pump: `-u.cap * r.pump_lvl`,
    battery: `u.cap * (u.ad * r.dsh - u.ac * r.csh)`,
    bio: `u.cap * (0.4 + 0.3 * demo_vn(${s}, u.uid, r.th / 72))`,
    other: `u.cap * r.oth_lvl`,
  };
}

/** SCADA MW as stored: 3 decimals, within ±capacity (`cap`). */
export const roundMw = (mw: string, cap = 'u.cap') => `round(demo_clamp(${mw}, -${cap}, ${cap}), 3)`;

/**
 * SCADA MW of unit `u` in region-interval `r` of demo_r. Only `kinds` are spelled out (others give NULL), for callers
 * that filter units by kind: one kind needs no CASE, which DuckDB evaluates ~3× faster.
 */
export function scadaMwSql(
  s: string,
  kinds: readonly (keyof typeof KIND)[] = Object.keys(KIND) as (keyof typeof KIND)[],
): string {
  const mw = unitMw(s);
  if (kinds.length === 1) return roundMw(mw[kinds[0]]);
  return roundMw(`CASE u.k
        ${kinds.map((kind) => `WHEN ${KIND[kind]} THEN ${mw[kind]}`).join('\n        ')}
      END`);
}

/** Rows for the raw tables from the stages above. Rooftop rows are written at the first interval of their half hour. */
export function insertSql(r: DemoRange): { price: string; interconnector: string; rooftop: string; scada: string } {
  const s = INT(r.seed, 'seed');
  const split = ROOFTOP_SPLIT.map((x) => `('${x.region}', '${x.parent}', ${NUM(x.share)})`).join(', ');
  return {
    price: `INSERT INTO price SELECT ts, region, rrp, demand_mw FROM demo_r ORDER BY ts, region`,
    interconnector: `INSERT INTO interconnector
      SELECT ts, id, mw, export_limit, import_limit, round(0.04 * mw * mw / export_limit, 3) FROM (
        ${IC_PARAMS.map((i) => `SELECT ts, '${i.id}' AS id, ${i.col} AS mw, ${i.col}_hi AS export_limit, ${i.col}_lo AS import_limit FROM demo_flow`).join('\n        UNION ALL ')})
      ORDER BY ts, id`,
    rooftop: `INSERT INTO rooftop
      WITH parent AS (SELECT ts + 1500 AS ts, region, roof FROM demo_r WHERE ts % 1800 = 300)
      SELECT ts, region, 'MEASUREMENT', round(roof, 3) FROM parent
      UNION ALL
      -- sub-regions: their share of the parent drifts with local cloud; never added to the parent (CONTRACT §4)
      SELECT p.ts, x.region, 'MEASUREMENT', round(p.roof * x.share * (0.9 + 0.2 * demo_vn(${s}, 'sub' || x.region, p.ts / 43200.0)), 3)
      FROM parent p JOIN (VALUES ${split}) x(region, parent, share) ON x.parent = p.region
      ORDER BY 1, 2`,
    // one statement (not one per kind) so rows arrive roughly in ts order and zone maps keep row groups to ~2 days
    scada: `INSERT INTO scada
      SELECT r.ts, u.duid, ${scadaMwSql(s)} AS mw
      FROM demo_r r JOIN demo_units u ON u.region = r.region`,
  };
}
