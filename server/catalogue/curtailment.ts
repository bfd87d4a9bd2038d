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
import type { Handler } from './handler.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';
import { columns, round, rows, textList } from './sql.ts';
import { mwhSql } from './measures.ts';
import { bucketSql, dataWindow, exactUnionSql, exactWindow, perRes, seriesWindow } from './window.ts';

/** SQL: curtailed MW of a (UIGF, cleared) pair; 0 where either is missing. */
const curtailedSql = (uigf: string, cleared: string) => `coalesce(greatest(${uigf} - ${cleared}, 0), 0)`;
const WIND = curtailedSql('wu', 'wc');
const SOLAR = curtailedSql('su', 'sc');

/**
 * CTEs ending in `per (ts, region, wu, wc, su, sc)`: wind and solar UIGF and cleared MW per region and interval in
 * ($lo, $hi] for the regions in $regions, from regionsum where its row has them, else from unit_dispatch.
 */
const REGION_ROWS = `
rs AS (
  SELECT ts, region, ss_wind_uigf AS wu, ss_wind_clearedmw AS wc, ss_solar_uigf AS su, ss_solar_clearedmw AS sc
  FROM regionsum WHERE ts > $lo AND ts <= $hi AND list_contains($regions, region)
    AND (ss_wind_uigf IS NOT NULL OR ss_solar_uigf IS NOT NULL)),
gap AS (
  SELECT * FROM (SELECT g.range::INTEGER AS ts, unnest($regions) AS region FROM range($lo::BIGINT + 300, $hi::BIGINT + 1, 300) g)
  ANTI JOIN rs USING (ts, region)),
ud AS (
  SELECT d.ts, u.region,
    ${sumSql('d.uigf', "u.fuel = 'Wind'")} AS wu, ${sumSql('d.totalcleared', "u.fuel = 'Wind'")} AS wc,
    ${sumSql('d.uigf', "u.fuel = 'Solar'")} AS su, ${sumSql('d.totalcleared', "u.fuel = 'Solar'")} AS sc
  FROM unit_dispatch d JOIN units u USING (duid) JOIN gap g ON g.ts = d.ts AND g.region = u.region
  WHERE d.ts > $lo AND d.ts <= $hi AND d.uigf IS NOT NULL AND u.fuel IN ('Wind', 'Solar')
  GROUP BY ALL),
per AS (SELECT * FROM rs UNION ALL SELECT * FROM ud)`;

// The series' buckets (means of the per-interval sums over the regions) and, in a row with a NULL ts, the totals
// over the exact window ($from, $to]: one pass over the rows for both.
const HISTORY_SQL = perRes(
  (res) => `
WITH ${REGION_ROWS},
t AS (SELECT ts, ${sumSql('wu')} AS wu, ${sumSql('wc')} AS wc, ${sumSql('su')} AS su, ${sumSql('sc')} AS sc FROM per GROUP BY ts)
SELECT ${bucketSql(res)} AS ts, ${avgSql('wu')} AS wu, ${avgSql('wc')} AS wc, ${avgSql('su')} AS su, ${avgSql('sc')} AS sc,
  NULL::DOUBLE AS wcurt, NULL::DOUBLE AS scurt FROM t GROUP BY ALL
UNION ALL
SELECT NULL, ${sumSql('wu')} / 12.0, NULL, ${sumSql('su')} / 12.0, NULL, ${sumSql(WIND)} / 12.0, ${sumSql(SOLAR)} / 12.0
FROM per WHERE ts > $from AND ts <= $to`,
);

const TIME_OF_DAY_SQL = `
WITH ${REGION_ROWS},
t AS (SELECT ts, ${sumSql(WIND)} AS wind, ${sumSql(SOLAR)} AS solar FROM per GROUP BY ts)
SELECT ${hourSql('ts')} AS hour, ${avgSql('wind')} AS wind, ${avgSql('solar')} AS solar FROM t GROUP BY ALL`;

// Each region-interval against its own region's price in that interval.
const PRICES_SQL = `
WITH ${REGION_ROWS}
SELECT p.rrp < 0 AS negative, count(*)::INTEGER AS intervals,
  coalesce(${sumSql('coalesce(wu, 0) + coalesce(su, 0)')}, 0) / 12.0 AS available,
  coalesce(${sumSql(WIND)}, 0) / 12.0 AS wind, coalesce(${sumSql(SOLAR)}, 0) / 12.0 AS solar
FROM per JOIN price p USING (ts, region) GROUP BY ALL`;

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

const regionList = (r: RegionChoice) => textList(r === 'NEM' ? REGIONS : [r]);
const pct = (part: number, whole: number) => (whole > 0 ? round((100 * part) / whole) : null);
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
    const r = await rows<Row & { wcurt: number | null; scurt: number | null }>(ctx.conn, HISTORY_SQL[sw.res], {
      lo: sw.lo,
      hi: sw.hi,
      from: sw.from,
      to: sw.to,
      regions: regionList(p.region),
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
    const c = await columns<{ hour: number[]; wind: number[]; solar: number[] }>(ctx.conn, TIME_OF_DAY_SQL, {
      lo: w.from,
      hi: w.to,
      regions: regionList(p.region),
    });
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
    const r = await rows<{ negative: boolean; intervals: number; available: number; wind: number; solar: number }>(
      ctx.conn,
      PRICES_SQL,
      { lo: w.from, hi: w.to, regions: regionList(p.region) },
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
