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

/** Operational demand per interval in ($lo, $hi] of $region. */
const OPERATIONAL = `op AS (SELECT ts, ${sumSql('demand_mw')} AS mw FROM price
  WHERE ts > $lo AND ts <= $hi AND ${IN_REGION} AND demand_mw IS NOT NULL GROUP BY ts)`;

/** Operational and underlying demand per interval in ($lo, $hi] of $region: the one definition both kinds read. */
const PER_INTERVAL = `
${OPERATIONAL},
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

// Per hour of day: the window's mean, today's mean, the record high and low with the interval that set each (the
// earliest on a tie, so the answer never depends on scan order), and the latest interval's value in its hour's row.
// The window's extremes are the hours' (one scan of the window). An underlying demand holding a carried-forward
// rooftop value (the live edge) counts in the means but sets no record: a stale rooftop figure must not make a false
// high or low.
const RECORDS_SQL = Object.fromEntries(
  DEMAND_SERIES.map((s) => {
    const real = 'FILTER (WHERE NOT est)';
    return [
      s,
      // Operational records read the price rows alone: DuckDB computes a joined CTE's rooftop sums even when no
      // column of them is used (a year's scan of gen_5m, half the query).
      `WITH ${
        s === 'underlying'
          ? `${PER_INTERVAL}, v AS (SELECT ts, underlying AS mw, carried AS est FROM per)`
          : `${OPERATIONAL}, v AS (SELECT ts, mw, false AS est FROM op)`
      }
SELECT ${hourSql('ts')} AS hour, ${avgSql('mw')} AS mean, ${avgSql('mw', 'ts > $day')} AS today,
  max(mw) ${real} AS max, first(ts ORDER BY mw DESC, ts) ${real} AS max_time,
  min(mw) ${real} AS min, first(ts ORDER BY mw, ts) ${real} AS min_time,
  max(mw) FILTER (WHERE ts = $hi) AS latest, bool_or(est) FILTER (WHERE ts = $hi) AS est
FROM v GROUP BY ALL`,
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
  latest: number | null;
  est: boolean | null;
}

/** The window's record among the hours' (the earliest interval on a tie, as within an hour). */
function extreme(got: RecordRow[], f: 'max' | 'min'): DemandPoint | null {
  let best: RecordRow | undefined;
  for (const r of got) {
    const v = r[f];
    if (v === null) continue;
    const b = best?.[f];
    if (
      b === undefined ||
      b === null ||
      (f === 'max' ? v > b : v < b) ||
      (v === b && r[`${f}_time`]! < best![`${f}_time`]!)
    )
      best = r;
  }
  return best ? point(best[f], best[`${f}_time`]) : null;
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
    const byHour = new Map(got.map((r) => [r.hour, r]));
    const last = got.find((r) => r.latest !== null);
    const latestMw = last?.latest ?? null;
    const hourly = <F extends 'mean' | 'today' | 'max' | 'min' | 'max_time' | 'min_time'>(f: F, digits?: number) =>
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
      max: extreme(got, 'max'),
      min: extreme(got, 'min'),
    };
  },
} satisfies { [K in DemandKind]: Handler<K> };
