// Demand kinds: operational demand from the price rows' demand (REGIONSUM's TOTALDEMAND where stored, else DREGION's
// or the demo's), underlying = operational + rooftop solar (the gen_5m rollup's 'Rooftop Solar', each half-hour
// value held over its six intervals). A region's value per interval, the NEM's the sum of the regions'; history is
// the bucket's mean, records the extreme intervals.
import { DEMAND_SERIES, type DemandKind, type DemandPoint, type DemandSeries } from '../../shared/kinds/demand.ts';
import { column, HOURS, hourSql } from './columns.ts';
import type { ParamsOf, ResultOf } from '../../shared/kinds.ts';
import type { Handler, QueryContext } from './handler.ts';
import { avgSql, FIXED_SCALE, fixedSumSql, sumSql } from '../store/fixed-sum.ts';
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

// Per hour of day over ($lo, $hi]: the sums (whole millionths, exact: server/store/fixed-sum.ts) and counts behind the
// window's and today's means, the record high and low with the interval that set each (the earliest on a tie, so the
// answer never depends on scan order), and the latest interval's value in its hour's row. An underlying demand
// holding a carried-forward rooftop value (the live edge) counts in the means but sets no record: a stale rooftop
// figure must not make a false high or low. Sums and extremes of two spans add up to the whole's (mergeRecords).
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
SELECT ${hourSql('ts')} AS hour, ${fixedSumSql('mw')} AS sum, count(mw) AS n,
  ${fixedSumSql('mw', 'ts > $day')} AS today_sum, count(mw) FILTER (WHERE ts > $day) AS today_n,
  max(mw) ${real} AS max, first(ts ORDER BY mw DESC, ts) ${real} AS max_time,
  min(mw) ${real} AS min, first(ts ORDER BY mw, ts) ${real} AS min_time,
  max(mw) FILTER (WHERE ts = $hi) AS latest, bool_or(est) FILTER (WHERE ts = $hi) AS est
FROM v GROUP BY ALL`,
    ];
  }),
) as Record<DemandSeries, string>;

interface HourRecords {
  /** Σ mw in whole millionths, and the intervals summed. */
  sum: bigint;
  n: bigint;
  /** The same for the intervals after the state's day start. */
  today_sum: bigint | null;
  today_n: bigint;
  max: number | null;
  max_time: number | null;
  min: number | null;
  min_time: number | null;
}
interface RecordRow extends HourRecords {
  hour: number;
  latest: number | null;
  est: boolean | null;
}

/** What demand.records is made from, over the intervals ($lo, $hi] (its day: the NEM day holding $hi). */
export interface RecordsState {
  lo: number;
  hi: number;
  day: number;
  hours: Map<number, HourRecords>;
  /** The interval ending at hi: its demand, and whether it holds a carried rooftop value. */
  latest: number | null;
  est: boolean;
}

/** The records state of a region's demand series over ($lo, $hi]. */
export async function recordsState(
  ctx: QueryContext,
  p: ParamsOf<'demand.records'>,
  lo: number,
  hi: number,
): Promise<RecordsState> {
  const day = dayOf(hi);
  const got = await rows<RecordRow>(ctx.conn, RECORDS_SQL[p.series], { lo, hi, day, region: p.region });
  const last = got.find((r) => r.latest !== null);
  return { lo, hi, day, hours: new Map(got.map((r) => [r.hour, r])), latest: last?.latest ?? null, est: !!last?.est };
}

/**
 * The state over (a.lo, b.hi] from those of two spans that meet (b.lo = a.hi): sums add (exactly: integers), a record
 * stays a's on a tie (its intervals are the earlier), and today is b's day's.
 */
export function mergeRecords(a: RecordsState, b: RecordsState): RecordsState {
  const sameDay = a.day === b.day;
  const hours = new Map(
    [...a.hours].map(([hour, x]) => [hour, sameDay ? x : { ...x, today_sum: null, today_n: 0n }] as const),
  );
  for (const [hour, y] of b.hours) {
    const x = hours.get(hour);
    hours.set(
      hour,
      !x
        ? y
        : {
            sum: x.sum + y.sum,
            n: x.n + y.n,
            today_sum: x.today_sum === null ? y.today_sum : x.today_sum + (y.today_sum ?? 0n),
            today_n: x.today_n + y.today_n,
            ...(beats(y, x, 'max') ? { max: y.max, max_time: y.max_time } : { max: x.max, max_time: x.max_time }),
            ...(beats(y, x, 'min') ? { min: y.min, min_time: y.min_time } : { min: x.min, min_time: x.min_time }),
          },
    );
  }
  return { lo: a.lo, hi: b.hi, day: b.day, hours, latest: b.latest, est: b.est };
}

/** Whether `y`'s record high (or low) replaces `x`'s: higher (lower), or the same set earlier. */
function beats(y: HourRecords, x: HourRecords | undefined, f: 'max' | 'min'): boolean {
  const [v, w] = [y[f], x?.[f] ?? null];
  if (v === null) return false;
  return w === null || (f === 'max' ? v > w : v < w) || (v === w && y[`${f}_time`]! < x![`${f}_time`]!);
}

/** A mean from its exact sum and count, as avgSql computes it (the sum as a DOUBLE, ÷ 10⁶, ÷ count). */
const mean = (sum: bigint | null, n: bigint): number | null =>
  sum === null || n === 0n ? null : Number(sum) / FIXED_SCALE / Number(n);

/** The window's record among the hours' (the earliest interval on a tie, as within an hour). */
function extreme(hours: Iterable<HourRecords>, f: 'max' | 'min'): DemandPoint | null {
  let best: HourRecords | undefined;
  for (const r of hours) if (beats(r, best, f)) best = r;
  return best ? point(best[f], best[`${f}_time`]) : null;
}

const point = (mw: number | null, time: number | null): DemandPoint | null =>
  mw === null || time === null ? null : { mw: Math.round(mw), time };

/** demand.records from its state over the window (the window's end is the state's hi). */
export function recordsAnswer(p: ParamsOf<'demand.records'>, st: RecordsState): ResultOf['demand.records'] {
  const figure = (h: number, f: 'mean' | 'today' | 'max' | 'min' | 'max_time' | 'min_time') => {
    const r = st.hours.get(h);
    if (!r) return null;
    if (f === 'mean') return mean(r.sum, r.n);
    if (f === 'today') return mean(r.today_sum, r.today_n);
    return r[f];
  };
  const hourly = (f: Parameters<typeof figure>[1], digits?: number) =>
    HOURS.map((h) => {
      const v = figure(h, f);
      return digits === undefined || v === null ? v : round(v, digits);
    });
  const hour = hourOf(st.hi);
  const at = st.hours.get(hour);
  return {
    series: p.series,
    latest:
      st.latest === null || !at || at.max === null
        ? null
        : {
            time: st.hi,
            mw: Math.round(st.latest),
            hour,
            hourMax: point(at.max, at.max_time)!,
            hourMin: point(at.min, at.min_time)!,
            ...(st.est ? { rooftopEstimated: true as const } : {}),
          },
    hours: {
      hours: [...HOURS],
      series: { today: hourly('today', 0), mean: hourly('mean', 0), max: hourly('max', 0), min: hourly('min', 0) },
      unit: 'MW',
    },
    maxTime: hourly('max_time'),
    minTime: hourly('min_time'),
    max: extreme(st.hours.values(), 'max'),
    min: extreme(st.hours.values(), 'min'),
  };
}

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
    return recordsAnswer(p, await recordsState(ctx, p, win.from, win.to));
  },
} satisfies { [K in DemandKind]: Handler<K> };
