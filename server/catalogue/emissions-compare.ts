// emissions.compare: today (the NEM day holding the watermark) against the mean whole day of the previous 7 and 30
// days, from the 5-minute rollup rows (the NEM's 31 days are ~500k rows), summed per day and hour in SQL and
// combined here in day order, so the answer is the same on every run.
import type { Column } from '../../shared/kinds/series.ts';
import type { ComparedDay, EmissionsDay } from '../../shared/kinds/emissions.ts';
import { DIGITS, HOURS, hourSql } from './columns.ts';
import { REGION_FILTER } from './generation.ts';
import type { Handler } from './handler.ts';
import { intensityOf, mwhSql } from './measures.ts';
import { sumSql } from '../store/fixed-sum.ts';
import { round, rows } from './sql.ts';
import { bucketSql, DAY, dayOf } from './window.ts';

const INTERVALS_PER_DAY = DAY / 300;
/** The baselines, in days before today. */
const BASELINES = { last7: 7, last30: 30 } as const;

// $sofar: seconds from NEM midnight to the watermark; a day's intervals up to that time of day count as "so far".
const SQL = `
SELECT ${bucketSql('1d')} AS d, ${hourSql('ts')} AS hour, count(DISTINCT ts)::INTEGER AS n,
  coalesce(${sumSql('co2')}, 0) AS t, coalesce(${sumSql(mwhSql('gen_mw'))}, 0) AS mwh,
  coalesce(${sumSql('co2', `ts - ${bucketSql('1d')} <= $sofar`)}, 0) AS t_so_far
FROM gen_5m WHERE ts > $from AND ts <= $wm AND ${REGION_FILTER}
GROUP BY ALL ORDER BY d, hour`;

interface HourRow {
  d: number;
  hour: number;
  n: number;
  t: number;
  mwh: number;
  t_so_far: number;
}

/** The mean day over `days` (their rows in day order): tonnes, tonnes so far, intensity and its hourly profile. */
function meanDay(rows: HourRow[], days: number): { day: EmissionsDay; hourly: Column } {
  if (days === 0) return { day: { days, t: null, tSoFar: null, intensity: null }, hourly: HOURS.map(() => null) };
  let t = 0;
  let mwh = 0;
  let soFar = 0;
  const hourT = HOURS.map(() => 0);
  const hourMwh = HOURS.map(() => 0);
  const seen = HOURS.map(() => false);
  for (const r of rows) {
    t += r.t;
    mwh += r.mwh;
    soFar += r.t_so_far;
    hourT[r.hour] += r.t;
    hourMwh[r.hour] += r.mwh;
    seen[r.hour] = true;
  }
  return {
    day: {
      days,
      t: round(t / days, DIGITS.tonnes),
      tSoFar: round(soFar / days, DIGITS.tonnes),
      intensity: round(intensityOf(t, mwh), DIGITS.intensity),
    },
    hourly: HOURS.map((h) => (seen[h] ? round(intensityOf(hourT[h], hourMwh[h]), DIGITS.intensity) : null)),
  };
}

export const emissionsCompare: Handler<'emissions.compare'> = async (ctx, p) => {
  const wm = ctx.watermark;
  const today = dayOf(wm);
  const r = await rows<HourRow>(ctx.conn, SQL, {
    from: today - BASELINES.last30 * DAY,
    wm,
    sofar: wm - today,
    region: p.region,
  });
  const intervals = new Map<number, number>();
  for (const x of r) intervals.set(x.d, (intervals.get(x.d) ?? 0) + x.n);
  const todayRows = r.filter((x) => x.d === today);
  /** The whole days among the `n` before today. */
  const baseline = (n: number) => {
    const whole = (d: number) => d < today && d >= today - n * DAY && intervals.get(d) === INTERVALS_PER_DAY;
    const days = [...intervals.keys()].filter(whole).length;
    return meanDay(
      r.filter((x) => whole(x.d)),
      days,
    );
  };
  const days: Record<ComparedDay, ReturnType<typeof meanDay>> = {
    today: meanDay(todayRows, todayRows.length > 0 ? 1 : 0),
    last7: baseline(BASELINES.last7),
    last30: baseline(BASELINES.last30),
  };
  return {
    region: p.region,
    time: wm,
    today: days.today.day,
    last7: days.last7.day,
    last30: days.last30.day,
    hourly: {
      hours: [...HOURS],
      series: { today: days.today.hourly, last7: days.last7.hourly, last30: days.last30.hourly },
      unit: 't/MWh',
    },
  };
};
