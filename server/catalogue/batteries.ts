// Battery kinds. Fleet MW reads the region × fuel rollups (gen_*: for the Battery fuel, gen_mw = Σ max(MW, 0) and
// mw − gen_mw = Σ min(MW, 0) per interval); the per-battery table and the daily arbitrage read the battery_1d rollup
// for whole days and SCADA for the edges; one battery's series and the states of charge read SCADA and
// unit_dispatch's ENERGY_STORAGE.
//
// The estimated state of charge (a battery without AEMO's ENERGY_STORAGE): E(t) = Σ −MW × 5/60 over the intervals
// from the window's start (the table's latest value: its last 7 days at most) up to t, charging adds, E = 0 before
// the first; that span's lowest E is taken as empty, so SOC(t) = E(t) − min(0, min E), capped at the storage MWh. No
// losses are counted, so over long spans it drifts toward full; it never leaves 0..storage.
import { REGIONS, type Region } from '../../shared/nem.ts';
import {
  FLEET_NOW_READS_S,
  type BatteriesNow,
  type BatteryKind,
  type BatteryRow,
  type SocSource,
} from '../../shared/kinds/batteries.ts';
import type { Resolution } from '../../shared/kinds.ts';
import { column } from './columns.ts';
import { QueryError } from './errors.ts';
import type { Handler, QueryContext } from './handler.ts';
import { mwhSql, percentOf, revenueSql } from './measures.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';
import { columns, round, rows, textList, IN_REGION } from './sql.ts';
import {
  bucketSql,
  dataWindow,
  exactUnionSql,
  exactWindow,
  genSourceSql,
  perRes,
  rollupCut,
  seriesWindow,
} from './window.ts';

/** The batteries with a registered storage MWh in $region: those a fleet state of charge can count. */
const STORED_FLEET = `SELECT duid, storage_mwh FROM units WHERE fuel = 'Battery' AND storage_mwh > 0 AND ${IN_REGION}`;

const FLEET_MW_SQL = perRes(
  (r) => `
SELECT ts, ${sumSql('gen_mw')} AS discharging, ${sumSql('mw - gen_mw')} AS charging FROM ${genSourceSql(r)}
WHERE ts BETWEEN $first AND $last AND fuel = 'Battery' AND ${IN_REGION} GROUP BY ts`,
);
// Per bucket, the mean over its intervals of Σ ENERGY_STORAGE (and Σ storage MWh) of the batteries that have one.
// Whole days come from battery_1d as Σ over batteries of each one's daily mean (the same when every battery reports
// every interval, as AEMO's files do), the day holding the watermark from unit_dispatch (its rollup row may hold
// later intervals).
const perIntervalSocSql = (lo: string, hi: string) => `
SELECT d.ts, ${sumSql('d.energy_storage')} AS soc, ${sumSql('b.storage_mwh')} AS storage
FROM unit_dispatch d JOIN (${STORED_FLEET}) b USING (duid)
WHERE d.ts > ${lo} AND d.ts <= ${hi} AND d.energy_storage IS NOT NULL GROUP BY d.ts`;
const FLEET_SOC_SQL = perRes((r) =>
  r === '1d'
    ? `SELECT ts, ${sumSql('soc')} AS soc, ${sumSql('storage')} AS storage FROM (
  SELECT r.ts, r.soc_mwh AS soc, b.storage_mwh AS storage FROM battery_1d r JOIN (${STORED_FLEET}) b USING (duid)
  WHERE r.ts >= $lo AND r.ts < $hi AND r.ts <= $rcut AND r.soc_mwh IS NOT NULL) GROUP BY ts
UNION ALL SELECT ${bucketSql(r)} AS ts, ${avgSql('soc')}, ${avgSql('storage')}
FROM (${perIntervalSocSql('greatest($lo, $e)', 'least($hi, $wm)')}) GROUP BY ALL`
    : `SELECT ${bucketSql(r)} AS ts, ${avgSql('soc')} AS soc, ${avgSql('storage')} AS storage
FROM (${perIntervalSocSql('$lo', '$hi')}) GROUP BY ALL`,
);
const NOW_MW_SQL = `
SELECT ts, ${sumSql('gen_mw')} AS discharging, ${sumSql('mw - gen_mw')} AS charging FROM gen_5m
WHERE ts = (SELECT max(ts) FROM gen_5m WHERE ts > $wm - 3600 AND ts <= $wm AND fuel = 'Battery' AND ${IN_REGION})
  AND fuel = 'Battery' AND ${IN_REGION} GROUP BY ts`;
// AEMO's state of charge comes with NEXT_DAY_DISPATCH, a day after the intervals: the latest within a week, looked
// for in the last NOW_SOC_FIRST_S first (it is almost always there; a week of unit_dispatch is ~3.5× the scan).
const NOW_SOC_FIRST_S = 2 * 86400;
const NOW_SOC_SQL = `
WITH d AS (SELECT d.ts, d.energy_storage, b.storage_mwh FROM unit_dispatch d JOIN (${STORED_FLEET}) b USING (duid)
  WHERE d.ts > $since AND d.ts <= $wm AND d.energy_storage IS NOT NULL)
SELECT ts, ${sumSql('energy_storage')} AS soc, ${sumSql('storage_mwh')} AS storage FROM d
WHERE ts = (SELECT max(ts) FROM d) GROUP BY ts`;

/** SQL: the running E(t) of the estimate (see the top of this file) over rows (ts, duid, mw), in fixed point like
 * sumSql so any evaluation order gives the same bits. */
const runningSql = (rowsSql: string) => `
SELECT duid, ts, sum((-mw * 1e6)::BIGINT) OVER (PARTITION BY duid ORDER BY ts ROWS UNBOUNDED PRECEDING)::DOUBLE / 12e6 AS e
FROM (${rowsSql})`;

const CHARGE = 'greatest(-s.mw, 0)';
const DISCHARGE = 'greatest(s.mw, 0)';
const priced = (x: string) => `CASE WHEN p.rrp IS NOT NULL THEN ${mwhSql(x)} END`;
/**
 * SQL: per battery of CTE `b` (duid, region) and NEM day, its sums over the exact window (exactWindow's params):
 * whole days from battery_1d, the edges from SCADA × the unit's regional price with the same terms (charge terms use
 * −min(MW, 0), so energy in and its cost are positive; the priced MWh are the prices' denominators).
 */
const PARTS_SQL = exactUnionSql(
  `SELECT ts AS day, duid, in_mwh, out_mwh, in_cost, out_revenue, in_priced_mwh, out_priced_mwh FROM battery_1d
   WHERE duid IN (SELECT duid FROM b)`,
  `SELECT ${bucketSql('1d', 's.ts')}, s.duid, ${mwhSql(CHARGE)}, ${mwhSql(DISCHARGE)}, ${revenueSql(CHARGE, 'p.rrp')},
     ${revenueSql(DISCHARGE, 'p.rrp')}, ${priced(CHARGE)}, ${priced(DISCHARGE)}
   FROM scada s JOIN b USING (duid) LEFT JOIN price p ON p.ts = s.ts AND p.region = b.region WHERE s.mw IS NOT NULL`,
  's.ts',
);
// AEMO's state of charge: the latest in the window's last week ($soc_from), as it comes a day late.
const TABLE_SQL = `
WITH b AS (SELECT duid, station, region, capacity_mw, storage_mwh FROM units WHERE fuel = 'Battery' AND list_contains($regions, region)),
parts AS (${PARTS_SQL}),
t AS (SELECT duid, ${sumSql('in_mwh')} AS in_mwh, ${sumSql('out_mwh')} AS out_mwh,
    ${sumSql('in_cost')} / nullif(${sumSql('in_priced_mwh')}, 0) AS charge_price,
    ${sumSql('out_revenue')} / nullif(${sumSql('out_priced_mwh')}, 0) AS discharge_price,
    coalesce(${sumSql('out_revenue')}, 0) - coalesce(${sumSql('in_cost')}, 0) AS net_revenue
  FROM parts GROUP BY duid),
aemo AS (SELECT duid, max(ts) AS ts, arg_max(energy_storage, ts) AS soc FROM unit_dispatch
  WHERE ts > $soc_from AND ts <= $to AND energy_storage IS NOT NULL AND duid IN (SELECT duid FROM t) GROUP BY duid)
SELECT b.duid, b.station, b.region, b.capacity_mw AS cap, b.storage_mwh AS storage, t.in_mwh, t.out_mwh, t.charge_price,
  t.discharge_price, t.net_revenue, aemo.ts AS aemo_ts, aemo.soc AS aemo_soc
FROM t JOIN b USING (duid) LEFT JOIN aemo USING (duid)`;
/** The estimate's latest value per battery, over (`$from`, `$to`]. */
const ESTIMATE_SQL = `
SELECT duid, arg_max(e, ts) - least(0, min(e)) AS soc
FROM (${runningSql('SELECT ts, duid, mw FROM scada WHERE ts > $from AND ts <= $to AND list_contains($duids, duid)')})
GROUP BY duid`;
/** The table's latest state of charge looks back this far at most: AEMO's comes a day late, and an estimate over a
 * longer window drifts (no losses counted) and reads more SCADA than the rest of the table. */
const LATEST_SOC_S = 7 * 86400;

// Per day of the window, so the days add up to the table's totals over the same window.
const ARBITRAGE_SQL = `
WITH b AS (SELECT duid, region FROM units WHERE fuel = 'Battery' AND ${IN_REGION}),
parts AS (${PARTS_SQL})
SELECT day AS ts, ${sumSql('in_mwh')} AS in_mwh, ${sumSql('out_mwh')} AS out_mwh, coalesce(${sumSql('in_cost')}, 0) AS cost,
  coalesce(${sumSql('out_revenue')}, 0) AS revenue
FROM parts GROUP BY day`;
const FLEET_SQL = `SELECT count(*)::INTEGER AS units, coalesce(${sumSql('capacity_mw')}, 0) AS cap,
  coalesce(${sumSql('storage_mwh')}, 0) AS storage FROM units WHERE fuel = 'Battery' AND ${IN_REGION}`;

const SOC_UNITS_SQL = `SELECT duid, station, region, capacity_mw AS cap, storage_mwh AS storage FROM units
WHERE fuel = 'Battery' AND (upper(duid) = upper($duid) OR lower(station) = lower($station)) ORDER BY duid`;
// One battery's (a station's batteries') series: per interval sums, then bucket means. Daily points come from
// battery_1d (Σ over the batteries of each one's daily mean: the same when all report every interval) up to the
// last whole day, the watermark's day from the raw rows.
const socSeriesSql = (r: Resolution, perInterval: (lo: string, hi: string) => string, daily: string) => {
  const raw = (lo: string, hi: string) =>
    `SELECT ${bucketSql(r)} AS ts, ${avgSql('v')} AS value FROM (${perInterval(lo, hi)}) GROUP BY ALL`;
  if (r !== '1d') return raw('$from', '$to');
  return `SELECT ts, ${sumSql('v')} AS value FROM (${daily} AND ts >= $from AND ts < $to AND ts <= $rcut
    AND list_contains($duids, duid)) GROUP BY ts HAVING count(*) = len($duids)
UNION ALL ${raw('greatest($from, $e)', 'least($to, $wm)')}`;
};
const SOC_MW_SQL = perRes((r) =>
  socSeriesSql(
    r,
    (lo, hi) => `SELECT ts, ${sumSql('mw')} AS v FROM scada WHERE ts > ${lo} AND ts <= ${hi}
      AND list_contains($duids, duid) GROUP BY ts`,
    `SELECT ts, (out_mwh - in_mwh) * 12.0 / n AS v FROM battery_1d WHERE n > 0`,
  ),
);
// A station's state of charge counts only the intervals (days) where every one of its batteries has one.
const SOC_AEMO_SQL = perRes((r) =>
  socSeriesSql(
    r,
    (lo, hi) => `SELECT ts, ${sumSql('energy_storage')} AS v FROM unit_dispatch
      WHERE ts > ${lo} AND ts <= ${hi} AND list_contains($duids, duid) AND energy_storage IS NOT NULL
      GROUP BY ts HAVING count(*) = len($duids)`,
    `SELECT ts, soc_mwh AS v FROM battery_1d WHERE soc_mwh IS NOT NULL`,
  ),
);
const SOC_EST_SQL = perRes(
  (r) => `
WITH per AS (SELECT ts, ${sumSql('mw')} AS mw, 'x' AS duid FROM scada
  WHERE ts > $from AND ts <= $to AND list_contains($duids, duid) GROUP BY ts),
e AS (${runningSql('SELECT ts, duid, mw FROM per')}),
-- $storage = 0: not registered, nothing to cap at
soc AS (SELECT ts, e - least(0, min(e) OVER ()) AS raw, CASE WHEN $storage > 0 THEN least($storage, raw) ELSE raw END AS soc FROM e)
SELECT ${bucketSql(r)} AS ts, ${avgSql('soc')} AS value FROM soc GROUP BY ALL`,
);

const pct = (soc: number | null, storage: number | null) => round(percentOf(soc, storage), 1);

async function fleetNow(ctx: QueryContext, region: string): Promise<BatteriesNow | null> {
  const [mw] = await rows<{ ts: number; discharging: number; charging: number }>(ctx.conn, NOW_MW_SQL, {
    wm: ctx.watermark,
    region,
  });
  if (!mw) return null;
  // The latest within the shorter span is the latest within the week whenever there is one.
  const latest = async (span: number) =>
    (
      await rows<{ ts: number; soc: number; storage: number }>(ctx.conn, NOW_SOC_SQL, {
        wm: ctx.watermark,
        since: ctx.watermark - span,
        region,
      })
    )[0];
  const soc = (await latest(NOW_SOC_FIRST_S)) ?? (await latest(FLEET_NOW_READS_S));
  return {
    ts: mw.ts,
    dischargingMw: round(mw.discharging, 0) as number,
    chargingMw: round(mw.charging, 0) as number,
    socTs: soc?.ts ?? null,
    socMwh: round(soc?.soc, 0),
    storageMwh: round(soc?.storage, 0),
    socPct: pct(soc?.soc ?? null, soc?.storage ?? null),
  };
}

interface TableSqlRow {
  duid: string;
  station: string;
  region: Region;
  cap: number;
  storage: number | null;
  in_mwh: number;
  out_mwh: number;
  charge_price: number | null;
  discharge_price: number | null;
  net_revenue: number;
  aemo_ts: number | null;
  aemo_soc: number | null;
}

function tableRow(x: TableSqlRow & { est_soc: number | null }, to: number): BatteryRow {
  const storage = x.storage !== null && x.storage > 0 ? x.storage : null;
  const source: SocSource | null = x.aemo_soc !== null ? 'aemo' : x.est_soc !== null ? 'estimated' : null;
  const clamped = source === 'estimated' && storage !== null && (x.est_soc as number) > storage;
  const soc = source === 'aemo' ? x.aemo_soc : clamped ? storage : x.est_soc;
  const spread =
    x.charge_price !== null && x.discharge_price !== null ? round(x.discharge_price - x.charge_price) : null;
  return {
    duid: x.duid,
    station: x.station,
    region: x.region,
    capacityMw: round(x.cap) as number,
    storageMwh: round(storage),
    inMwh: round(x.in_mwh, 1) as number,
    outMwh: round(x.out_mwh, 1) as number,
    chargePrice: round(x.charge_price),
    dischargePrice: round(x.discharge_price),
    spread,
    netRevenue: round(x.net_revenue, 0) as number,
    cycles: storage !== null ? round(x.out_mwh / storage, 2) : null,
    socTs: source === 'aemo' ? x.aemo_ts : source === 'estimated' ? to : null,
    socMwh: round(soc, 1),
    socPct: pct(soc, storage),
    socSource: source,
    socClamped: clamped,
  };
}

export const batteries = {
  async 'batteries.fleet'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const mw = await columns<{ ts: number[]; discharging: number[]; charging: number[] }>(
      ctx.conn,
      FLEET_MW_SQL[sw.res],
      { first: sw.first, last: sw.last, region: p.region, ...rollupCut(ctx, sw.res) },
    );
    const soc = await columns<{ ts: number[]; soc: number[]; storage: number[] }>(ctx.conn, FLEET_SOC_SQL[sw.res], {
      lo: sw.lo,
      hi: sw.hi,
      region: p.region,
      ...(sw.res === '1d' ? rollupCut(ctx, '1d') : {}),
    });
    return {
      time: sw.times,
      series: { discharging: column(sw, mw.ts, mw.discharging, 1), charging: column(sw, mw.ts, mw.charging, 1) },
      unit: 'MW',
      resolution: sw.res,
      socMwh: column(sw, soc.ts, soc.soc, 1),
      storageMwh: column(sw, soc.ts, soc.storage, 1),
      now: await fleetNow(ctx, p.region),
    };
  },

  async 'batteries.table'(ctx, p) {
    const ex = exactWindow(dataWindow(ctx, p));
    const socFrom = Math.max(ex.from, ex.to - LATEST_SOC_S);
    const r = await rows<TableSqlRow>(ctx.conn, TABLE_SQL, {
      ...ex.params,
      to: ex.to,
      soc_from: socFrom,
      regions: textList(p.regions),
    });
    const missing = r.filter((x) => x.aemo_soc === null).map((x) => x.duid);
    const est =
      missing.length === 0
        ? []
        : await rows<{ duid: string; soc: number }>(ctx.conn, ESTIMATE_SQL, {
            from: socFrom,
            to: ex.to,
            duids: textList(missing),
          });
    const estimate = new Map(est.map((e) => [e.duid, e.soc]));
    const out = r.map((x) => tableRow({ ...x, est_soc: estimate.get(x.duid) ?? null }, ex.to));
    out.sort(
      (a, b) =>
        REGIONS.indexOf(a.region) - REGIONS.indexOf(b.region) || b.outMwh - a.outMwh || (a.duid < b.duid ? -1 : 1),
    );
    return { rows: out };
  },

  async 'batteries.arbitrage'(ctx, p) {
    const win = dataWindow(ctx, p);
    const sw = seriesWindow(ctx, { from: win.from, to: win.to, resolution: '1d' });
    const c = await columns<{ ts: number[]; in_mwh: number[]; out_mwh: number[]; cost: number[]; revenue: number[] }>(
      ctx.conn,
      ARBITRAGE_SQL,
      { ...exactWindow(win).params, region: p.region },
    );
    const [fleet] = await rows<{ units: number; cap: number; storage: number }>(ctx.conn, FLEET_SQL, {
      region: p.region,
    });
    const net = c.revenue.map((v, i) => v - c.cost[i]);
    return {
      time: sw.times,
      series: {
        inMwh: column(sw, c.ts, c.in_mwh, 1),
        outMwh: column(sw, c.ts, c.out_mwh, 1),
        chargeCost: column(sw, c.ts, c.cost, 0),
        dischargeRevenue: column(sw, c.ts, c.revenue, 0),
        net: column(sw, c.ts, net, 0),
      },
      unit: '$',
      resolution: '1d',
      fleet: { units: fleet.units, capacityMw: round(fleet.cap) as number, storageMwh: round(fleet.storage) as number },
    };
  },

  async 'battery.soc'(ctx, p) {
    const units = await rows<{ duid: string; station: string; region: Region; cap: number; storage: number | null }>(
      ctx.conn,
      SOC_UNITS_SQL,
      { duid: p.duid ?? '', station: p.station ?? '' },
    );
    if (units.length === 0) {
      const what =
        p.duid !== undefined ? `no battery with DUID "${p.duid}"` : `no battery at a station named "${p.station}"`;
      throw new QueryError(`${what.slice(0, 160)} (batteries.table lists them)`);
    }
    const sw = seriesWindow(ctx, p);
    const duids = textList(units.map((u) => u.duid));
    const known = units.every((u) => u.storage !== null && u.storage > 0);
    const storage = known ? units.reduce((s, u) => s + (u.storage as number), 0) : null;
    const span = { from: sw.lo, to: sw.hi, duids };
    const cut = { ...span, ...(sw.res === '1d' ? rollupCut(ctx, '1d') : {}) };
    type Col = { ts: number[]; value: number[] };
    const mw = await columns<Col>(ctx.conn, SOC_MW_SQL[sw.res], cut);
    // AEMO's where the window has it; else the estimate, from SCADA
    let soc = await columns<Col>(ctx.conn, SOC_AEMO_SQL[sw.res], cut);
    let source: SocSource | null = soc.ts.length > 0 ? 'aemo' : null;
    if (!source && mw.ts.length > 0) {
      soc = await columns<Col>(ctx.conn, SOC_EST_SQL[sw.res], { ...span, storage: storage ?? 0 });
      source = 'estimated';
    }
    return {
      time: sw.times,
      series: { mw: column(sw, mw.ts, mw.value) },
      unit: 'MW',
      resolution: sw.res,
      duids: units.map((u) => u.duid),
      station: units[0].station,
      region: units[0].region,
      capacityMw: round(units.reduce((s, u) => s + u.cap, 0)) as number,
      storageMwh: round(storage),
      socMwh: column(sw, soc.ts, soc.value, 1),
      socSource: source,
    };
  },
} satisfies { [K in BatteryKind]: Handler<K> };
