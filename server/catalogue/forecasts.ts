// Forecast kinds: the runs stored by server/store/forecasts.ts that are published by the context's watermark (its
// shownAt rule), joined to the dispatch price and demand (the `price` table). Each query bounds its runs and its
// actuals by the watermark, so an answer staged for the next watermark ahead of the market is the one it will have.
import { INTERVAL_S, REGIONS, type Region } from '../../shared/nem.ts';
import {
  SPIKE_PRICE,
  type AccuracyRow,
  type ForecastKind,
  type ForecastSource,
  type PredispatchRow,
} from '../../shared/kinds/forecasts.ts';
import { avgSql } from '../store/fixed-sum.ts';
import { shownAt } from '../store/forecasts.ts';
import type { Column } from '../../shared/kinds/series.ts';
import type { Handler } from './handler.ts';
import { round, rows } from './sql.ts';
import { dataWindow } from './window.ts';

const STEP = INTERVAL_S;
const HALF_HOUR = 1800;

const P5_SHOWN = shownAt('p5min_region', 'run_ts', '$wm');
const PD_SHOWN = shownAt('predispatch_price', 'run_ts', '$wm');

// One statement: the actuals of the last hours, the newest shown run of each source, and their curves.
const LATEST_SQL = `
WITH p5run AS (SELECT max(run_ts) AS r FROM p5min_region WHERE region = $region AND ${P5_SHOWN}),
pdrun AS (SELECT max(run_ts) AS r FROM predispatch_price WHERE region = $region AND ${PD_SHOWN})
SELECT 'a' AS s, ts, rrp, demand_mw AS mw FROM price WHERE region = $region AND ts > $lo AND ts <= $wm
UNION ALL SELECT 'p', ts, rrp, totaldemand FROM p5min_region WHERE region = $region AND run_ts = (SELECT r FROM p5run)
UNION ALL SELECT 'd', ts, p.rrp, d.totaldemand
  FROM predispatch_price p FULL JOIN predispatch_demand d USING (run_ts, ts, region)
  WHERE region = $region AND run_ts = (SELECT r FROM pdrun)
UNION ALL SELECT 'r5', (SELECT r FROM p5run), NULL, NULL
UNION ALL SELECT 'rd', (SELECT r FROM pdrun), NULL, NULL`;

// The newest two shown pre-dispatch runs (any region's: a run covers them all), every region's prices in both.
const PREDISPATCH_SQL = `
WITH latest AS (SELECT max(run_ts) AS r FROM predispatch_price WHERE ${PD_SHOWN}),
prev AS (SELECT max(run_ts) AS r FROM predispatch_price WHERE run_ts < (SELECT r FROM latest))
SELECT run_ts, ts, region, rrp FROM predispatch_price
WHERE run_ts = (SELECT r FROM latest) OR run_ts = (SELECT r FROM prev)
ORDER BY ts, region, run_ts`;

/** Pre-dispatch lead-time buckets, minutes (lower bounds): finer where the forecast changes fastest. */
const PD_BUCKETS = [0, 60, 120, 240, 480, 720, 1440, 2880];
const pdBucketSql = `CASE ${PD_BUCKETS.slice(1)
  .map((m, i) => `WHEN h < ${m * 60} THEN ${PD_BUCKETS[i]}`)
  .join(' ')} ELSE ${PD_BUCKETS.at(-1)} END`;

/** The aggregates of one source's (h, bucket, fp, ap, fd, ad) pairs, by bucket and (bucket -1) over all of them. */
const measures = `count(*)::INTEGER AS n,
  ${avgSql('abs(fp - ap)')} AS price_mae, ${avgSql('fp - ap')} AS price_bias,
  ${avgSql('abs(fd - ad)')} AS demand_mae, ${avgSql('fd - ad')} AS demand_bias,
  count(*) FILTER (WHERE ap >= ${SPIKE_PRICE})::INTEGER AS seen,
  count(*) FILTER (WHERE ap >= ${SPIKE_PRICE} AND fp >= ${SPIKE_PRICE})::INTEGER AS hit,
  count(*) FILTER (WHERE ap < ${SPIKE_PRICE} AND fp >= ${SPIKE_PRICE})::INTEGER AS false_spikes`;
const bySource = (source: ForecastSource, pairs: string) => `
SELECT '${source}' AS source, bucket, ${measures} FROM ${pairs} GROUP BY bucket
UNION ALL SELECT '${source}', -1, ${measures} FROM ${pairs}`;

// Forecast intervals in ($lo, $hi] ($hi ≤ the watermark): P5MIN against each interval, pre-dispatch against the mean of
// the six intervals of its half hour (whole half hours only).
const ACCURACY_SQL = `
WITH a AS (SELECT ts, rrp, demand_mw FROM price WHERE region = $region AND ts > $lo - ${HALF_HOUR} AND ts <= $hi),
a30 AS (SELECT ((ts + ${HALF_HOUR - 1}) // ${HALF_HOUR}) * ${HALF_HOUR} AS ts, ${avgSql('rrp')} AS rrp,
    ${avgSql('demand_mw')} AS demand_mw
  FROM a GROUP BY 1 HAVING count(*) = ${HALF_HOUR / STEP}),
p5 AS (SELECT (f.ts - f.run_ts) // 60 AS bucket, f.rrp AS fp, a.rrp AS ap, f.totaldemand AS fd,
    a.demand_mw AS ad
  FROM p5min_region f JOIN a ON a.ts = f.ts
  WHERE f.region = $region AND f.ts > $lo AND f.ts <= $hi AND ${shownAt('p5min_region', 'f.run_ts', '$wm')}),
pd0 AS (SELECT f.ts - f.run_ts AS h, f.rrp AS fp, a30.rrp AS ap, d.totaldemand AS fd, a30.demand_mw AS ad
  FROM predispatch_price f JOIN a30 ON a30.ts = f.ts
  LEFT JOIN predispatch_demand d ON d.run_ts = f.run_ts AND d.ts = f.ts AND d.region = f.region
  WHERE f.region = $region AND f.ts > $lo AND f.ts <= $hi AND ${shownAt('predispatch_price', 'f.run_ts', '$wm')}),
pd AS (SELECT *, ${pdBucketSql} AS bucket FROM pd0)
${bySource('p5min', 'p5')}
UNION ALL ${bySource('predispatch', 'pd')}`;

interface AccuracyDbRow {
  source: ForecastSource;
  bucket: number;
  n: number;
  price_mae: number | null;
  price_bias: number | null;
  demand_mae: number | null;
  demand_bias: number | null;
  seen: number;
  hit: number;
  false_spikes: number;
}

/** A bucket's upper bound, minutes: P5MIN's are single intervals; pre-dispatch's the next bucket's start. */
function bucketEnd(source: ForecastSource, start: number): number | null {
  if (start < 0) return null;
  if (source === 'p5min') return start + STEP / 60;
  const next = PD_BUCKETS.find((b) => b > start);
  return next ?? null;
}

const REGION_INDEX = new Map<string, number>(REGIONS.map((r, i) => [r, i]));

export const forecasts = {
  async 'forecasts.latest'(ctx, p) {
    const lo = Math.floor((ctx.watermark - p.hours * 3600) / STEP) * STEP;
    const got = await rows<{ s: string; ts: number | null; rrp: number | null; mw: number | null }>(
      ctx.conn,
      LATEST_SQL,
      { region: p.region, wm: ctx.watermark, lo },
    );
    const runOf = (s: string) => got.find((r) => r.s === s)?.ts ?? null;
    const points = got.filter((r) => r.s.length === 1 && r.ts !== null) as { s: string; ts: number }[];
    const last = points.reduce((m, r) => Math.max(m, Math.ceil(r.ts / STEP) * STEP), ctx.watermark);
    const first = lo + STEP;
    const n = Math.max(0, (last - first) / STEP + 1);
    const time = Array.from({ length: n }, (_, i) => first + i * STEP);
    const col = (): Column => new Array<number | null>(n).fill(null);
    const series = {
      actualPrice: col(),
      p5minPrice: col(),
      predispatchPrice: col(),
      actualDemand: col(),
      p5minDemand: col(),
      predispatchDemand: col(),
    };
    const cols = { a: ['actual', 2], p: ['p5min', 2], d: ['predispatch', 2] } as const;
    for (const r of got) {
      const c = cols[r.s as keyof typeof cols];
      if (!c || r.ts === null || r.ts < first) continue;
      const i = (r.ts - first) / STEP;
      if (!Number.isInteger(i) || i >= n) continue;
      series[`${c[0]}Price`][i] = round(r.rrp);
      series[`${c[0]}Demand`][i] = round(r.mw);
    }
    return {
      region: p.region,
      runs: { p5min: runOf('r5'), predispatch: runOf('rd') },
      time,
      series,
      unit: '$/MWh',
      resolution: '5m',
    };
  },

  async 'forecasts.predispatch'(ctx) {
    const got = await rows<{ run_ts: number; ts: number; region: Region; rrp: number }>(ctx.conn, PREDISPATCH_SQL, {
      wm: ctx.watermark,
    });
    const run = got.reduce<number | null>((m, r) => (m === null || r.run_ts > m ? r.run_ts : m), null);
    const older = got.filter((r) => r.run_ts !== run);
    const previousRun = older.length > 0 ? older[0].run_ts : null;
    const byTime = new Map<number, PredispatchRow>();
    const prev = new Map(older.map((r) => [`${r.ts}|${r.region}`, r.rrp]));
    for (const r of got) {
      if (r.run_ts !== run) continue;
      let row = byTime.get(r.ts);
      if (!row) {
        row = { time: r.ts, prices: REGIONS.map(() => null), changes: REGIONS.map(() => null) };
        byTime.set(r.ts, row);
      }
      const i = REGION_INDEX.get(r.region);
      if (i === undefined) continue;
      row.prices[i] = round(r.rrp);
      const before = prev.get(`${r.ts}|${r.region}`);
      row.changes[i] = before === undefined ? null : round(r.rrp - before);
    }
    return { regions: [...REGIONS], run, previousRun, rows: [...byTime.values()] };
  },

  async 'forecasts.accuracy'(ctx, p) {
    const win = dataWindow(ctx, p);
    const got = await rows<AccuracyDbRow>(ctx.conn, ACCURACY_SQL, {
      region: p.region,
      lo: win.from,
      hi: win.to,
      wm: ctx.watermark,
    });
    const out: AccuracyRow[] = got
      .filter((r) => r.n > 0)
      .map((r) => ({
        source: r.source,
        horizonMin: r.bucket,
        horizonMaxMin: bucketEnd(r.source, r.bucket),
        n: r.n,
        priceMae: round(r.price_mae),
        priceBias: round(r.price_bias),
        demandMae: round(r.demand_mae),
        demandBias: round(r.demand_bias),
        spikesSeen: r.seen,
        spikesForecast: r.hit,
        falseSpikes: r.false_spikes,
      }));
    // Per-horizon rows first, each source's whole-window row after its own.
    out.sort((x, y) => sourceOrder(x.source) - sourceOrder(y.source) || order(x.horizonMin) - order(y.horizonMin));
    return { region: p.region, from: win.from, to: win.to, spikePrice: SPIKE_PRICE, rows: out };
  },
} satisfies { [K in ForecastKind]: Handler<K> };

const sourceOrder = (s: ForecastSource) => (s === 'p5min' ? 0 : 1);
const order = (h: number) => (h < 0 ? Infinity : h);
