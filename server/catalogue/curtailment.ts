// Curtailment kinds, on the one definition of shared/kinds/curtailment.ts. Every regional kind reads the same
// per region-interval rows (REGION_ROWS): DISPATCHREGIONSUM's SS_* columns where the region's row has them, and only
// for the region-intervals without one, the sums of its semi-scheduled wind and solar units' unit_dispatch rows. The
// gap is found on the 5-minute grid, so where regionsum covers the window (the demo, a store fed DispatchIS) the
// unit rows are never read, and a region-interval is counted from one source only.
import { REGIONS, type Region, type RegionChoice } from '../../shared/nem.ts';
import {
  PRICE_CONDITIONS,
  type CurtailedUnit,
  type CurtailmentKind,
  type CurtailmentTotal,
  type PriceCondition,
} from '../../shared/kinds/curtailment.ts';
import { column, DIGITS, HOURS, hourSql } from './columns.ts';
import type { Handler, QueryContext } from './handler.ts';
import { avgSql, fixedSumSql, fromFixedSql, sumSql } from '../store/fixed-sum.ts';
import { columns, round, rows, textList, IN_REGION } from './sql.ts';
import { mwhSql, percentOf } from './measures.ts';
import { bucketSql, dataWindow, exactUnionSql, exactWindow, perRes, seriesWindow } from './window.ts';

/** SQL: curtailed MW of a (UIGF, cleared) pair; 0 where either is missing. */
const curtailedSql = (uigf: string, cleared: string) => `coalesce(greatest(${uigf} - ${cleared}, 0), 0)`;
const WIND = curtailedSql('wu', 'wc');
const SOLAR = curtailedSql('su', 'sc');

const REGION_VALUES = REGIONS.map((r) => `('${r}')`).join(', ');
/** regionsum rows with SS_* columns, in ($lo, $hi] and the region (or all five for the NEM). */
const REGIONSUM_ROWS = `
  SELECT ts, region, ss_wind_uigf AS wu, ss_wind_clearedmw AS wc, ss_solar_uigf AS su, ss_solar_clearedmw AS sc
  FROM regionsum WHERE ts > $lo AND ts <= $hi AND ${IN_REGION} AND (ss_wind_uigf IS NOT NULL OR ss_solar_uigf IS NOT NULL)`;

/**
 * CTEs ending in `per (ts, region, wu, wc, su, sc)`: wind and solar UIGF and cleared MW per region and interval in
 * ($lo, $hi], from regionsum where its row has them, else from unit_dispatch. `complete`: regionsum covers every
 * region-interval (checked first: COVERED_SQL), so the unit rows and the search for gaps are left out.
 */
function regionRows(complete: boolean): string {
  if (complete) return `per AS (${REGIONSUM_ROWS})`;
  return `
rs AS (${REGIONSUM_ROWS}),
gap AS (
  SELECT * FROM (SELECT g.range::INTEGER AS ts, r.region FROM range($lo::BIGINT + 300, $hi::BIGINT + 1, 300) g
    CROSS JOIN (VALUES ${REGION_VALUES}) r(region) WHERE $region = 'NEM' OR r.region = $region)
  ANTI JOIN rs USING (ts, region)),
ud AS (
  SELECT d.ts, u.region,
    ${sumSql('d.uigf', "u.fuel = 'Wind'")} AS wu, ${sumSql('d.totalcleared', "u.fuel = 'Wind'")} AS wc,
    ${sumSql('d.uigf', "u.fuel = 'Solar'")} AS su, ${sumSql('d.totalcleared', "u.fuel = 'Solar'")} AS sc
  FROM unit_dispatch d JOIN units u USING (duid) JOIN gap g ON g.ts = d.ts AND g.region = u.region
  WHERE d.ts > $lo AND d.ts <= $hi AND d.uigf IS NOT NULL AND u.fuel IN ('Wind', 'Solar')
  GROUP BY ALL),
per AS (SELECT * FROM rs UNION ALL SELECT * FROM ud)`;
}
const COVERED_SQL = `SELECT count(*)::INTEGER AS n FROM (${REGIONSUM_ROWS})`;
/** A statement in both forms: where regionsum covers the window, and where units may fill its gaps. */
const bothForms = <T>(f: (rows: string) => T) => ({ complete: f(regionRows(true)), gaps: f(regionRows(false)) });

/** The form of a regional statement to run over ($lo, $hi]. */
async function form(
  ctx: QueryContext,
  p: { lo: number; hi: number; region: RegionChoice },
): Promise<'complete' | 'gaps'> {
  const [{ n }] = await rows<{ n: number }>(ctx.conn, COVERED_SQL, p);
  const expected = ((p.hi - p.lo) / 300) * (p.region === 'NEM' ? REGIONS.length : 1);
  return n >= expected ? 'complete' : 'gaps';
}

// The series' buckets (means of the per-interval sums over the regions) and, in a row with a NULL ts, the totals
// over the exact window ($from, $to]: one grouping by interval feeds both, the totals adding its exact fixed-point
// sums (the same bits as summing the rows: fixed-sum.ts).
const HISTORY_SQL = bothForms((regionRows) =>
  perRes(
    (res) => `
WITH ${regionRows},
f AS (SELECT ts, ${fixedSumSql('wu')} AS wu, ${fixedSumSql('wc')} AS wc, ${fixedSumSql('su')} AS su, ${fixedSumSql('sc')} AS sc,
  ${fixedSumSql(WIND)} AS wcurt, ${fixedSumSql(SOLAR)} AS scurt FROM per GROUP BY ts),
t AS (SELECT ts, ${fromFixedSql('wu')} AS wu, ${fromFixedSql('wc')} AS wc, ${fromFixedSql('su')} AS su, ${fromFixedSql('sc')} AS sc FROM f)
SELECT ${bucketSql(res)} AS ts, ${avgSql('wu')} AS wu, ${avgSql('wc')} AS wc, ${avgSql('su')} AS su, ${avgSql('sc')} AS sc,
  NULL::DOUBLE AS wcurt, NULL::DOUBLE AS scurt FROM t GROUP BY ALL
UNION ALL
SELECT NULL, ${fromFixedSql('sum(wu)')} / 12.0, NULL, ${fromFixedSql('sum(su)')} / 12.0, NULL, ${fromFixedSql('sum(wcurt)')} / 12.0,
  ${fromFixedSql('sum(scurt)')} / 12.0
FROM f WHERE ts > $from AND ts <= $to`,
  ),
);

const TIME_OF_DAY_SQL = bothForms(
  (regionRows) => `
WITH ${regionRows},
t AS (SELECT ts, ${sumSql(WIND)} AS wind, ${sumSql(SOLAR)} AS solar FROM per GROUP BY ts)
SELECT ${hourSql('ts')} AS hour, ${avgSql('wind')} AS wind, ${avgSql('solar')} AS solar FROM t GROUP BY ALL`,
);

// Each region-interval against its own region's price in that interval.
const PRICES_SQL = bothForms(
  (regionRows) => `
WITH ${regionRows}
SELECT p.rrp < 0 AS negative, count(*)::INTEGER AS intervals,
  coalesce(${sumSql('coalesce(wu, 0) + coalesce(su, 0)')}, 0) / 12.0 AS available,
  coalesce(${sumSql(WIND)}, 0) / 12.0 AS wind, coalesce(${sumSql(SOLAR)}, 0) / 12.0 AS solar
FROM per JOIN (SELECT ts, region, rrp FROM price WHERE ts > $lo AND ts <= $hi) p USING (ts, region) GROUP BY ALL`,
);

// Whole NEM days from the unit_curtailment_1d rollup, the partial days at either edge from unit_dispatch.
const UNITS_SQL = `
WITH t AS (${exactUnionSql(
  'SELECT duid, available_mwh AS available, curtailed_mwh AS curtailed, capped FROM unit_curtailment_1d WHERE TRUE',
  `SELECT duid, ${mwhSql('uigf')}, ${mwhSql(curtailedSql('uigf', 'totalcleared'))}, (semidispatchcap = 1)::INTEGER
   FROM unit_dispatch WHERE uigf IS NOT NULL`,
)})
SELECT t.duid, u.station, u.region, u.fuel, ${sumSql('t.curtailed')} AS curtailed, ${sumSql('t.available')} AS available,
  sum(t.capped)::INTEGER AS capped
FROM t JOIN units u USING (duid) WHERE u.fuel IN ('Wind', 'Solar') AND list_contains($regions, u.region)
GROUP BY ALL ORDER BY curtailed DESC, t.duid LIMIT $limit`;

const pct = (part: number, whole: number) => round(percentOf(part, whole));
const mwh = (v: number | null) => round(v ?? 0, 3) as number;

function total(fuel: CurtailedUnit['fuel'], available: number | null, curtailed: number | null): CurtailmentTotal {
  return {
    fuel,
    availableMwh: mwh(available),
    curtailedMwh: mwh(curtailed),
    curtailedPct: pct(curtailed ?? 0, available ?? 0),
  };
}

type Row = { ts: number | null; wu: number | null; wc: number | null; su: number | null; sc: number | null };

export const curtailment = {
  async 'curtailment.history'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const win = { lo: sw.lo, hi: sw.hi, region: p.region };
    const sql = HISTORY_SQL[await form(ctx, win)][sw.res];
    const r = await rows<Row & { wcurt: number | null; scurt: number | null }>(ctx.conn, sql, {
      ...win,
      from: sw.from,
      to: sw.to,
    });
    const buckets = r.filter((x) => x.ts !== null);
    const t = r.find((x) => x.ts === null);
    const col = (k: keyof Row) =>
      column(
        sw,
        buckets.map((x) => x.ts as number),
        buckets.map((x) => x[k]),
        DIGITS.regionMw,
      );
    return {
      time: sw.times,
      series: { windAvailable: col('wu'), windCleared: col('wc'), solarAvailable: col('su'), solarCleared: col('sc') },
      unit: 'MW',
      resolution: sw.res,
      totals: [total('Wind', t?.wu ?? null, t?.wcurt ?? null), total('Solar', t?.su ?? null, t?.scurt ?? null)],
    };
  },

  async 'curtailment.timeOfDay'(ctx, p) {
    const w = dataWindow(ctx, p);
    const win = { lo: w.from, hi: w.to, region: p.region };
    const sql = TIME_OF_DAY_SQL[await form(ctx, win)];
    const c = await columns<{ hour: number[]; wind: number[]; solar: number[] }>(ctx.conn, sql, win);
    const byHour = (values: number[]) => {
      const out = HOURS.map(() => null as number | null);
      c.hour.forEach((h, i) => (out[h] = round(values[i], 1)));
      return out;
    };
    return { hours: [...HOURS], series: { Wind: byHour(c.wind), Solar: byHour(c.solar) }, unit: 'MW' };
  },

  async 'curtailment.units'(ctx, p) {
    const w = dataWindow(ctx, p);
    const r = await rows<{
      duid: string;
      station: string;
      region: Region;
      fuel: CurtailedUnit['fuel'];
      curtailed: number;
      available: number;
      capped: number;
    }>(ctx.conn, UNITS_SQL, { ...exactWindow(w).params, regions: textList(p.regions), limit: p.limit });
    return {
      rows: r.map((x) => ({
        duid: x.duid,
        station: x.station,
        region: x.region,
        fuel: x.fuel,
        curtailedMwh: mwh(x.curtailed),
        availableMwh: mwh(x.available),
        curtailedPct: pct(x.curtailed, x.available),
        cappedIntervals: x.capped,
      })),
    };
  },

  async 'curtailment.prices'(ctx, p) {
    const w = dataWindow(ctx, p);
    const win = { lo: w.from, hi: w.to, region: p.region };
    const r = await rows<{ negative: boolean; intervals: number; available: number; wind: number; solar: number }>(
      ctx.conn,
      PRICES_SQL[await form(ctx, win)],
      win,
    );
    const condition = (x: { negative: boolean }): PriceCondition => (x.negative ? 'negative' : 'nonNegative');
    return {
      rows: PRICE_CONDITIONS.map((prices) => {
        const x = r.find((y) => condition(y) === prices);
        const curtailed = (x?.wind ?? 0) + (x?.solar ?? 0);
        return {
          prices,
          intervals: x?.intervals ?? 0,
          availableMwh: mwh(x?.available ?? 0),
          curtailedMwh: mwh(curtailed),
          curtailedPct: pct(curtailed, x?.available ?? 0),
          windCurtailedMwh: mwh(x?.wind ?? 0),
          solarCurtailedMwh: mwh(x?.solar ?? 0),
        };
      }),
    };
  },
} satisfies { [K in CurtailmentKind]: Handler<K> };
