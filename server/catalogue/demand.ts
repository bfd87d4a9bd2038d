// Demand kinds: operational demand from the price rows' demand (REGIONSUM's TOTALDEMAND where stored, else DREGION's
// or the demo's), underlying = operational + rooftop solar (the gen_5m rollup's 'Rooftop Solar', each half-hour
// value held over its six intervals). A region's value per interval, the NEM's the sum of the regions'; history is
// the bucket's mean, records the extreme intervals.
import { DEMAND_SERIES, type DemandKind, type DemandPoint, type DemandSeries } from '../../shared/kinds/demand.ts';
import { column, HOURS, hourSql } from './columns.ts';
import type { Handler } from './handler.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';
import { CARRIED_SQL, rooftopMark } from './rooftop-mark.ts';
import { columns, round, rows, IN_REGION } from './sql.ts';
import { bucketSql, dataWindow, dayOf, hourOf, perRes, seriesWindow } from './window.ts';

/** Operational and underlying demand per interval in ($lo, $hi] of $region: the one definition both kinds read. */
const PER_INTERVAL = `
op AS (SELECT ts, ${sumSql('demand_mw')} AS mw FROM price
  WHERE ts > $lo AND ts <= $hi AND ${IN_REGION} AND demand_mw IS NOT NULL GROUP BY ts),
roof AS (SELECT ts, ${sumSql('mw')} AS mw FROM gen_5m
  WHERE ts > $lo AND ts <= $hi AND fuel = 'Rooftop Solar' AND ${IN_REGION} GROUP BY ts),
carried AS (${CARRIED_SQL}),
per AS (SELECT op.ts, op.mw AS operational, op.mw + coalesce(roof.mw, 0) AS underlying, carried.ts IS NOT NULL AS carried
  FROM op LEFT JOIN roof USING (ts) LEFT JOIN carried USING (ts))`;

const HISTORY_SQL = perRes(
  (res) => `WITH ${PER_INTERVAL}
SELECT ${bucketSql(res)} AS ts, ${avgSql('operational')} AS operational, ${avgSql('underlying')} AS underlying
FROM per GROUP BY ALL`,
);

// Per hour of day: the window's mean, today's mean, and the record high and low with the interval that set each
// (the earliest on a tie, so the answer never depends on scan order); the hour -1 row holds the window's extremes,
// the hour -2 row the latest interval. An underlying demand holding a carried-forward rooftop value (the live edge)
// counts in the means but sets no record: a stale rooftop figure must not make a false high or low.
const RECORDS_SQL = Object.fromEntries(
  DEMAND_SERIES.map((s) => {
    const real = 'FILTER (WHERE NOT est)';
    const hourly = (
      hour: string,
    ) => `SELECT ${hour} AS hour, ${avgSql('mw')} AS mean, ${avgSql('mw', 'ts > $day')} AS today,
  max(mw) ${real} AS max, first(ts ORDER BY mw DESC, ts) ${real} AS max_time,
  min(mw) ${real} AS min, first(ts ORDER BY mw, ts) ${real} AS min_time, NULL AS est
FROM v GROUP BY ALL`;
    return [
      s,
      `WITH ${PER_INTERVAL}, v AS (SELECT ts, ${s} AS mw, ${s === 'underlying' ? 'carried' : 'false'} AS est FROM per)
${hourly(hourSql('ts'))}
UNION ALL ${hourly('-1')}
UNION ALL SELECT -2, NULL, NULL, max(mw) FILTER (WHERE ts = $hi), NULL, NULL, NULL, bool_or(est) FILTER (WHERE ts = $hi) FROM v`,
    ];
  }),
) as Record<DemandSeries, string>;

interface RecordRow {
  hour: number;
  mean: number | null;
  today: number | null;
  max: number | null;
  max_time: number | null;
  min: number | null;
  min_time: number | null;
  est: boolean | null;
}

const point = (mw: number | null, time: number | null): DemandPoint | null =>
  mw === null || time === null ? null : { mw: Math.round(mw), time };

export const demand = {
  async 'demand.history'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const c = await columns<{ ts: number[]; operational: number[]; underlying: number[] }>(
      ctx.conn,
      HISTORY_SQL[sw.res],
      { lo: sw.lo, hi: sw.hi, region: p.region },
    );
    return {
      time: sw.times,
      series: { operational: column(sw, c.ts, c.operational, 1), underlying: column(sw, c.ts, c.underlying, 1) },
      unit: 'MW',
      resolution: sw.res,
      ...(await rooftopMark(ctx, sw, p.region)),
    };
  },

  async 'demand.records'(ctx, p) {
    const win = dataWindow(ctx, p);
    const got = await rows<RecordRow>(ctx.conn, RECORDS_SQL[p.series], {
      lo: win.from,
      hi: win.to,
      day: dayOf(win.to),
      region: p.region,
    });
    const byHour = new Map(got.filter((r) => r.hour >= 0).map((r) => [r.hour, r]));
    const all = got.find((r) => r.hour === -1);
    const last = got.find((r) => r.hour === -2);
    const latestMw = last?.max ?? null;
    const hourly = <F extends Exclude<keyof RecordRow, 'est'>>(f: F, digits?: number) =>
      HOURS.map((h) => {
        const v = byHour.get(h)?.[f] ?? null;
        return digits === undefined || v === null ? v : round(v, digits);
      });
    const hour = hourOf(win.to);
    const at = byHour.get(hour);
    return {
      series: p.series,
      latest:
        latestMw === null || !at || at.max === null
          ? null
          : {
              time: win.to,
              mw: Math.round(latestMw),
              hour,
              hourMax: point(at.max, at.max_time)!,
              hourMin: point(at.min, at.min_time)!,
              ...(last?.est ? { rooftopEstimated: true as const } : {}),
            },
      hours: {
        hours: [...HOURS],
        series: { today: hourly('today', 0), mean: hourly('mean', 0), max: hourly('max', 0), min: hourly('min', 0) },
        unit: 'MW',
      },
      maxTime: hourly('max_time'),
      minTime: hourly('min_time'),
      max: point(all?.max ?? null, all?.max_time ?? null),
      min: point(all?.min ?? null, all?.min_time ?? null),
    };
  },
} satisfies { [K in DemandKind]: Handler<K> };
