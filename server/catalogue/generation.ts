// Generation kinds: by fuel (series + table), time of day, latest mix, renewable share, capacity utilisation.
// All read the region × fuel rollups (gen_5m / gen_30m / gen_1d), never raw SCADA. For the NEM the regions are
// summed and Transmission is left out: interconnector flows net to ~0 across the NEM (only losses remain).
import { FUELS, type Fuel } from '../../shared/nem.ts';
import type { FuelRow, GenerationKind } from '../../shared/kinds/generation.ts';
import type { Column } from '../../shared/kinds/series.ts';
import { DIGITS, HOURS, hourColumns, hourSql, pivot, pivotQuery } from './columns.ts';
import type { Handler } from './handler.ts';
import { mwhSql, priceReceived, renewableSharePct, renewableShareSql, rollupMwhSql } from './measures.ts';
import { priceColumn } from './prices.ts';
import { rooftopMark } from './rooftop-mark.ts';
import { REPORTED_SQL } from './stations.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';
import { columns, round, rows, IN_REGION } from './sql.ts';
import {
  dataWindow,
  dayOf,
  exactUnionSql,
  exactWindow,
  genSourceSql,
  perRes,
  rollupCut,
  seriesWindow,
} from './window.ts';

/** SQL filter on a gen_* row for the `$region` param. */
export const REGION_FILTER = `(CASE WHEN $region = 'NEM' THEN fuel <> 'Transmission' ELSE region = $region END)`;

const SERIES_SQL = perRes(
  (r) => `
SELECT ts, fuel AS name, ${sumSql('mw')} AS value FROM ${genSourceSql(r)}
WHERE ts BETWEEN $first AND $last AND ${REGION_FILTER} GROUP BY ALL`,
);

const TABLE_SQL = `
WITH u AS (${exactUnionSql(
  `SELECT fuel, ${rollupMwhSql('mw')} AS mwh, ${rollupMwhSql('gen_mw')} AS gen_mwh, revenue FROM gen_1d WHERE ${REGION_FILTER}`,
  `SELECT fuel, ${mwhSql('mw')}, ${mwhSql('gen_mw')}, revenue FROM gen_5m WHERE ${REGION_FILTER}`,
)})
SELECT fuel, ${sumSql('mwh')} AS mwh, ${sumSql('gen_mwh')} AS gen_mwh, coalesce(${sumSql('revenue')}, 0) AS revenue FROM u GROUP BY fuel`;

// Short windows read 5-minute rows; longer ones half-hours (a half-hour bucket lies within one clock hour).
const TIME_OF_DAY_SQL = {
  '5m': `WITH per AS (SELECT ts, fuel, ${sumSql('mw')} AS mw FROM gen_5m WHERE ts > $from AND ts <= $to AND ${REGION_FILTER} GROUP BY ALL)
SELECT ${hourSql('ts')} AS hour, fuel AS name, ${avgSql('mw')} AS value FROM per GROUP BY ALL`,
  // Weighted by each bucket's interval count, so partial buckets count for what they hold.
  '30m': `WITH per AS (SELECT ts, fuel, ${sumSql('mw')} AS mw, max(n) AS n FROM ${genSourceSql('30m')}
  WHERE ts > $from AND ts < $to + 1800 AND ${REGION_FILTER} GROUP BY ALL)
SELECT ${hourSql('ts - 1500')} AS hour, fuel AS name, ${sumSql('mw * n')} / sum(n) AS value FROM per GROUP BY ALL`,
};

// Rooftop PV is published half-hourly and after the dispatch data, so each fuel's latest value within the hour
// before the newest interval stands in for it; est says a region's rooftop in that interval is carried forward.
const MIX_SQL = `
WITH t AS (SELECT max(ts) AS t FROM gen_5m WHERE ts > $wm - 86400 AND ts <= $wm AND ${REGION_FILTER}),
latest AS (
  SELECT region, fuel, mw, gen_mw FROM gen_5m, t
  WHERE ts > t.t - 3600 AND ts <= t.t AND ${REGION_FILTER}
  QUALIFY row_number() OVER (PARTITION BY region, fuel ORDER BY ts DESC) = 1)
SELECT (SELECT t FROM t) AS time, fuel, ${sumSql('mw')} AS mw, ${sumSql('gen_mw')} AS gen_mw,
  (SELECT count(*) > 0 FROM rooftop_carried c, t WHERE c.ts = t.t AND ${IN_REGION}) AS est
FROM latest GROUP BY fuel`;

const SHARE_SQL = perRes(
  (r) => `
SELECT ts, ${renewableShareSql()} AS value FROM ${genSourceSql(r)}
WHERE ts BETWEEN $first AND $last AND ${REGION_FILTER} GROUP BY ts`,
);

// Capacity counts the units that reported in the window, so a store holding a few units' SCADA still
// gives meaningful percentages. Rooftop PV and interconnectors have no registered capacity here.
const CAPACITY_SQL = `
SELECT fuel, ${sumSql('capacity_mw')} AS cap FROM units
WHERE ${IN_REGION} AND duid IN (${REPORTED_SQL})
GROUP BY fuel`;
const UTILISATION_SQL = perRes(
  (r) => `
SELECT ts, fuel AS name, ${sumSql('gen_mw')} AS value FROM ${genSourceSql(r)}
WHERE ts BETWEEN $first AND $last AND ${REGION_FILTER} AND fuel NOT IN ('Rooftop Solar', 'Transmission') GROUP BY ALL`,
);

const byFuel = (a: { fuel: string }, b: { fuel: string }) =>
  FUELS.indexOf(a.fuel as Fuel) - FUELS.indexOf(b.fuel as Fuel);

export const generation = {
  async 'generation.byFuel'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const region = p.region;
    const [series] = await pivotQuery(
      ctx.conn,
      SERIES_SQL[sw.res],
      { first: sw.first, last: sw.last, region, ...rollupCut(ctx, sw.res) },
      sw,
      [{ value: 'value', order: FUELS, digits: DIGITS.regionMw }],
    );
    const price = await priceColumn(ctx, sw, region);
    const ex = exactWindow(sw);
    const t = await rows<{ fuel: Fuel; mwh: number; gen_mwh: number; revenue: number }>(ctx.conn, TABLE_SQL, {
      ...ex.params,
      region,
    });
    t.sort(byFuel); // before summing: rows come back in any order, and float addition depends on it
    const totalGen = t.reduce((s, x) => s + Math.max(0, x.gen_mwh), 0);
    const table: FuelRow[] = t.map((x) => ({
      fuel: x.fuel,
      avgMw: round(ex.intervals ? (x.mwh * 12) / ex.intervals : 0) as number,
      gwh: round(x.mwh / 1000, 3) as number,
      sharePct: round(totalGen > 0 ? (100 * x.gen_mwh) / totalGen : 0) as number,
      vwPrice: round(priceReceived(x.revenue, x.mwh)),
    }));
    return {
      time: sw.times,
      series,
      unit: 'MW',
      resolution: sw.res,
      price,
      table,
      ...(await rooftopMark(ctx, sw, region)),
    };
  },

  async 'generation.timeOfDay'(ctx, p) {
    const w = dataWindow(ctx, p);
    const res = w.to - w.from <= 8 * 86400 ? '5m' : '30m';
    const c = await columns<{ hour: number[]; name: string[]; value: number[] }>(ctx.conn, TIME_OF_DAY_SQL[res], {
      from: w.from,
      to: w.to,
      region: p.region,
      ...rollupCut(ctx, res),
    });
    return { hours: [...HOURS], series: hourColumns(c, FUELS, DIGITS.regionMw), unit: 'MW' };
  },

  async 'generation.mix'(ctx, p) {
    type MixRow = { time: number | null; fuel: Fuel; mw: number; gen_mw: number; est: boolean };
    const r = await rows<MixRow>(ctx.conn, MIX_SQL, {
      wm: ctx.watermark,
      region: p.region,
    });
    const fuels = r.sort(byFuel).map((x) => ({ fuel: x.fuel, mw: round(x.mw) as number }));
    const total = r.reduce((s, x) => s + x.gen_mw, 0);
    return {
      region: p.region,
      time: r[0]?.time ?? ctx.watermark,
      fuels,
      totalMw: round(total) as number,
      renewableSharePct: round(renewableSharePct(r)) as number,
      ...(r[0]?.est ? { rooftopEstimated: true as const } : {}),
    };
  },

  async 'renewables.share'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const c = await columns<{ ts: number[]; value: number[] }>(ctx.conn, SHARE_SQL[sw.res], {
      first: sw.first,
      last: sw.last,
      region: p.region,
      ...rollupCut(ctx, sw.res),
    });
    const share = pivot(sw, { ts: c.ts, name: c.ts.map(() => 'share'), value: c.value }, ['share'] as const);
    return {
      time: sw.times,
      series: { share: share.share ?? sw.times.map(() => null) },
      unit: '%',
      resolution: sw.res,
      ...(await rooftopMark(ctx, sw, p.region)),
    };
  },

  async 'capacity.utilisation'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const cap = await rows<{ fuel: Fuel; cap: number }>(ctx.conn, CAPACITY_SQL, {
      region: p.region,
      d1: dayOf(sw.from + 300),
      d2: dayOf(sw.to),
      ...rollupCut(ctx, '1d'),
    });
    const capacityMw: Partial<Record<Fuel, number>> = {};
    for (const x of cap.sort(byFuel)) capacityMw[x.fuel] = round(x.cap) as number;
    const [mw] = await pivotQuery(
      ctx.conn,
      UTILISATION_SQL[sw.res],
      { first: sw.first, last: sw.last, region: p.region, ...rollupCut(ctx, sw.res) },
      sw,
      [{ value: 'value', order: FUELS, digits: 6 }],
    );
    const series: Partial<Record<Fuel, Column>> = {};
    for (const [fuel, col] of Object.entries(mw) as [Fuel, Column][]) {
      const capMw = capacityMw[fuel];
      if (capMw) series[fuel] = col.map((v) => (v === null ? null : round((100 * v) / capMw)));
    }
    return { time: sw.times, series: series as Record<Fuel, Column>, unit: '%', resolution: sw.res, capacityMw };
  },
} satisfies { [K in GenerationKind]: Handler<K> };
