// Price kinds: current, history, stats, bands, time of day. All read the 5-minute dispatch price table
// (5 rows per interval: small enough that rollups would not pay for themselves).
import type { Resolution } from '../../shared/kinds.ts';
import { REGIONS, type Region, type RegionChoice } from '../../shared/nem.ts';
import { PRICE_BANDS, type PriceKind, type PriceNow, type PriceStatsRow } from '../../shared/kinds/prices.ts';
import type { Column } from '../../shared/kinds/series.ts';
import { column, HOURS, hourColumns, hourSql, pivotQuery } from './columns.ts';
import type { Handler, QueryContext } from './handler.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';
import { demandWeightedSql } from './measures.ts';
import { columns, round, rows, textList, IN_REGION } from './sql.ts';
import { bucketSql, dataWindow, seriesWindow, type SeriesWindow } from './window.ts';

const UNIT = '$/MWh';
const byRegion = (a: { region: string }, b: { region: string }) =>
  REGIONS.indexOf(a.region as Region) - REGIONS.indexOf(b.region as Region);

const CURRENT_SQL = `
WITH p AS (SELECT ts, region, rrp FROM price WHERE ts > $wm - 2 * 86400 AND ts <= $wm),
latest AS (SELECT region, max(ts) AS t FROM p GROUP BY region)
SELECT l.region, l.t AS time,
  any_value(p.rrp) FILTER (WHERE p.ts = l.t) AS rrp,
  any_value(p.rrp) FILTER (WHERE p.ts = l.t - 300) AS prev,
  ${avgSql('p.rrp', 'p.ts > l.t - 3600')} AS avg1h,
  ${avgSql('p.rrp')} AS avg24h
FROM p JOIN latest l USING (region)
WHERE p.ts > l.t - 86400
GROUP BY l.region, l.t`;

const historySql = (res: Resolution) => `
SELECT ${bucketSql(res)} AS ts, region AS name, ${avgSql('rrp')} AS value FROM price
WHERE ts > $lo AND ts <= $hi AND list_contains($regions, region) GROUP BY ALL`;
const HISTORY_SQL = { '5m': historySql('5m'), '30m': historySql('30m'), '1d': historySql('1d') };

// NEM price: demand-weighted mean across regions of each interval's price, then the bucket's mean.
const regionPriceSql = (res: Resolution) => `
WITH per AS (SELECT ts, ${demandWeightedSql()} AS rrp FROM price
  WHERE ts > $lo AND ts <= $hi AND ${IN_REGION} GROUP BY ts)
SELECT ${bucketSql(res)} AS ts, ${avgSql('rrp')} AS value FROM per GROUP BY ALL`;
const REGION_PRICE_SQL = { '5m': regionPriceSql('5m'), '30m': regionPriceSql('30m'), '1d': regionPriceSql('1d') };

const STATS_SQL = `
SELECT region, ${avgSql('rrp')} AS mean, ${sumSql('rrp * demand_mw')} / nullif(${sumSql('demand_mw')}, 0) AS dw,
  min(rrp) AS min, max(rrp) AS max,
  quantile_cont(rrp, [0.05, 0.5, 0.95]) AS q, count(*) FILTER (WHERE rrp < 0)::INTEGER AS negative,
  count(*) FILTER (WHERE rrp > 300)::INTEGER AS over300, count(*)::INTEGER AS count
FROM price WHERE ts > $from AND ts <= $to AND list_contains($regions, region) GROUP BY region`;

// Bands: <$0, $0–300 (inclusive), over $300 up to $1000 (inclusive), over $1000.
const BANDS = ['rrp < 0', 'rrp >= 0 AND rrp <= 300', 'rrp > 300 AND rrp <= 1000', 'rrp > 1000'];
const BAND_SQL = `
SELECT region, count(*)::INTEGER AS n, ${sumSql('rrp')} AS total,
  [${BANDS.map((band) => `count(*) FILTER (WHERE ${band})`).join(', ')}]::INTEGER[] AS counts,
  [${BANDS.map((band) => `coalesce(${sumSql('rrp', band)}, 0)`).join(', ')}] AS sums
FROM price WHERE ts > $from AND ts <= $to AND list_contains($regions, region) GROUP BY region`;

const TIME_OF_DAY_SQL = `
SELECT ${hourSql()} AS hour, region AS name, ${avgSql('rrp')} AS value FROM price
WHERE ts > $from AND ts <= $to AND list_contains($regions, region) GROUP BY ALL`;

/** A region's RRP on a series axis (NEM: demand-weighted across regions), for charts that overlay price. */
export async function priceColumn(ctx: QueryContext, sw: SeriesWindow, region: RegionChoice): Promise<Column> {
  const c = await columns<{ ts: number[]; value: number[] }>(ctx.conn, REGION_PRICE_SQL[sw.res], {
    lo: sw.lo,
    hi: sw.hi,
    region,
  });
  return column(sw, c.ts, c.value);
}

export const prices = {
  async 'prices.current'(ctx) {
    const r = await rows<PriceNow>(ctx.conn, CURRENT_SQL, { wm: ctx.watermark });
    const out = r.sort(byRegion).map((x) => ({
      region: x.region,
      time: x.time,
      rrp: round(x.rrp) as number,
      prev: round(x.prev),
      avg1h: round(x.avg1h) as number,
      avg24h: round(x.avg24h) as number,
    }));
    return { time: Math.max(0, ...out.map((x) => x.time)), rows: out };
  },

  async 'prices.history'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const [series] = await pivotQuery(
      ctx.conn,
      HISTORY_SQL[sw.res],
      { lo: sw.lo, hi: sw.hi, regions: textList(p.regions) },
      sw,
      [{ value: 'value', order: p.regions, digits: 2 }],
    );
    return { time: sw.times, series, unit: UNIT, resolution: sw.res };
  },

  async 'prices.stats'(ctx, p) {
    const w = dataWindow(ctx, p);
    type Raw = Omit<PriceStatsRow, 'timeWeighted' | 'demandWeighted' | 'p5' | 'p50' | 'p95'> & {
      dw: number | null;
      q: number[];
    };
    const r = await rows<Raw>(ctx.conn, STATS_SQL, { from: w.from, to: w.to, regions: textList(p.regions) });
    const out: PriceStatsRow[] = r.sort(byRegion).map((x) => ({
      region: x.region,
      mean: round(x.mean) as number,
      // The price table holds only 5-minute dispatch intervals, so every interval weighs the same.
      timeWeighted: round(x.mean) as number,
      demandWeighted: round(x.dw),
      min: round(x.min) as number,
      max: round(x.max) as number,
      p5: round(x.q[0]) as number,
      p50: round(x.q[1]) as number,
      p95: round(x.q[2]) as number,
      negative: x.negative,
      over300: x.over300,
      count: x.count,
    }));
    return { rows: out };
  },

  async 'prices.bands'(ctx, p) {
    const w = dataWindow(ctx, p);
    const r = await rows<{ region: Region; n: number; total: number; counts: number[]; sums: number[] }>(
      ctx.conn,
      BAND_SQL,
      {
        from: w.from,
        to: w.to,
        regions: textList(p.regions),
      },
    );
    const out = r.sort(byRegion).map((x) => ({
      region: x.region,
      sharePct: x.counts.map((c) => round((100 * c) / x.n) as number),
      contribution: x.sums.map((s) => round(s / x.n) as number),
      mean: round(x.total / x.n) as number,
    }));
    return { bands: PRICE_BANDS, rows: out };
  },

  async 'prices.timeOfDay'(ctx, p) {
    const w = dataWindow(ctx, p);
    const c = await columns<{ hour: number[]; name: string[]; value: number[] }>(ctx.conn, TIME_OF_DAY_SQL, {
      from: w.from,
      to: w.to,
      regions: textList(p.regions),
    });
    return { hours: [...HOURS], series: hourColumns(c, p.regions), unit: UNIT };
  },
} satisfies { [K in PriceKind]: Handler<K> };
