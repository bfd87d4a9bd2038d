// Station kinds: search the registry, one unit's (or station's) output, and the per-station table.
// These are the only kinds that read raw SCADA: station.output at 5m/30m and the partial-day edges of a window
// (a few hundred thousand rows at most). Whole days come from unit_1d, so a year-long table reads ~150k rows.
import { FUELS, REGIONS, type Fuel, type Region, type RegionChoice } from '../../shared/nem.ts';
import type { StationKind, StationOutput, StationRow, StationsTableRow } from '../../shared/kinds/stations.ts';
import { column, HOURS, hourColumns, hourSql } from './columns.ts';
import { QueryError } from './errors.ts';
import type { Handler, QueryContext } from './handler.ts';
import { capacityFactorPct, intensityOf, mwhSql, priceReceived, revenueSql } from './measures.ts';
import { priceColumn } from './prices.ts';
import { emissionRateSql } from '../store/emission-factors.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';
import { columns, round, rows, textList, IN_REGION } from './sql.ts';
import {
  bucketSql,
  dataWindow,
  dayOf,
  exactUnionSql,
  exactWindow,
  rollupCut,
  seriesWindow,
  type Interval,
} from './window.ts';

/**
 * SQL: the DUIDs that reported in NEM days $d1..$d2 (inclusive stamps), up to the watermark: unit_1d for whole
 * days, SCADA for the day holding the watermark (its rollup may hold later intervals). Binds rollupCut(ctx, '1d').
 */
export const REPORTED_SQL = `SELECT duid FROM unit_1d WHERE ts BETWEEN $d1 AND least($d2, $rcut)
  UNION ALL SELECT duid FROM scada WHERE ts > $e AND ts <= $wm AND $e BETWEEN $d1 AND $d2`;

const SEARCH_SQL = `
SELECT duid, station, region, fuel, capacity_mw AS "capacityMw" FROM units
WHERE ${IN_REGION}
  AND ($q = '' OR contains(lower(duid), lower($q)) OR contains(lower(station), lower($q)))
ORDER BY lower(duid) = lower($q) DESC, starts_with(lower(station), lower($q)) OR starts_with(lower(duid), lower($q)) DESC,
  capacity_mw DESC, duid
LIMIT $limit`;

const UNITS_BY_DUID_SQL = `SELECT duid, station, region, fuel, capacity_mw AS "capacityMw" FROM units WHERE upper(duid) = upper($name) ORDER BY duid`;
const UNITS_BY_STATION_SQL = `SELECT duid, station, region, fuel, capacity_mw AS "capacityMw" FROM units WHERE lower(station) = lower($name) ORDER BY duid`;

// The largest station (by registered capacity) among those that reported in the window, else the largest.
const LARGEST_SQL = `
SELECT station FROM units WHERE ${IN_REGION}
GROUP BY station
ORDER BY bool_or(duid IN (${REPORTED_SQL})) DESC, ${sumSql('capacity_mw')} DESC, station
LIMIT 1`;

const OUTPUT_SQL = {
  '5m': `SELECT ts, ${sumSql('mw')} AS value FROM scada WHERE ts > $lo AND ts <= $hi AND list_contains($duids, duid) GROUP BY ts`,
  '30m': `WITH per AS (SELECT ts, ${sumSql('mw')} AS mw FROM scada WHERE ts > $lo AND ts <= $hi AND list_contains($duids, duid) GROUP BY ts)
SELECT ${bucketSql('30m')} AS ts, ${avgSql('mw')} AS value FROM per GROUP BY ALL`,
  // A day's mean MW per unit is its energy over the intervals it reported.
  // The day holding the watermark is summed from SCADA as refreshRollups would: its unit_1d row may hold later
  // intervals.
  '1d': `SELECT ts, ${sumSql('mwh * 12.0 / n')} AS value FROM (
  SELECT ts, mwh, n FROM unit_1d WHERE ts <= $rcut AND ts >= $lo AND ts < $hi AND list_contains($duids, duid)
  UNION ALL SELECT ts, mwh, n FROM (SELECT ${bucketSql('1d', 's.ts')} AS ts, s.duid, ${sumSql('s.mw')} / 12 AS mwh, count(*)::INTEGER AS n
    FROM scada s JOIN units u USING (duid) WHERE s.ts > $e AND s.ts <= $wm AND list_contains($duids, s.duid) GROUP BY ALL)
) WHERE ts >= $lo AND ts < $hi GROUP BY ts`,
};

/**
 * SQL: per unit over the exact window (exactWindow's params), energy (MWh), revenue ($) and t CO2-e: whole days from
 * unit_1d, the edges from SCADA × the unit's regional price and emission factor. `filter` selects the DUIDs.
 */
export const unitTotalsSql = (filter: (duid: string) => string) => `
SELECT duid, ${sumSql('mwh')} AS mwh, coalesce(${sumSql('revenue')}, 0) AS revenue, coalesce(${sumSql('co2')}, 0) AS co2
FROM (${exactUnionSql(
  `SELECT duid, mwh, revenue, co2 FROM unit_1d WHERE ${filter('duid')}`,
  `SELECT s.duid, ${mwhSql('s.mw')} AS mwh, ${revenueSql('s.mw', 'p.rrp')} AS revenue,
     ${mwhSql(emissionRateSql('s.mw', 'f.factor'))} AS co2
   FROM scada s JOIN units u USING (duid) JOIN unit_factor f USING (duid)
   LEFT JOIN price p ON p.ts = s.ts AND p.region = u.region WHERE ${filter('s.duid')}`,
  's.ts',
)}) GROUP BY duid`;
const OUTPUT_TOTALS_SQL = unitTotalsSql((d) => `list_contains($duids, ${d})`);
const TABLE_SQL = `
WITH t AS (${unitTotalsSql((d) => `${d} IN (SELECT duid FROM units WHERE list_contains($regions, region) AND list_contains($fuels, fuel))`)})
SELECT u.region, u.fuel, u.station, list(u.duid ORDER BY u.duid) AS duids, ${sumSql('t.mwh')} AS mwh, ${sumSql('t.revenue')} AS revenue,
  ${sumSql('u.capacity_mw')} AS cap
FROM t JOIN units u USING (duid) GROUP BY ALL`;

// The profile is a typical day, so it reads the window's last 30 days at most: a year of raw SCADA for one unit
// costs ~10× everything else in the answer.
const TIME_OF_DAY_MAX_S = 30 * 86400;
const TIME_OF_DAY_SQL = `
WITH per AS (SELECT ts, ${sumSql('mw')} AS mw FROM scada WHERE ts > $from AND ts <= $to AND list_contains($duids, duid) GROUP BY ts)
SELECT ${hourSql('ts')} AS hour, 'mw' AS name, ${avgSql('mw')} AS value FROM per GROUP BY ALL`;

/** The units a station.output query names, or a QueryError saying what was not found. */
async function resolveUnits(ctx: QueryContext, p: { duid?: string; station?: string }): Promise<StationRow[]> {
  const byDuid = p.duid !== undefined;
  const name = (byDuid ? p.duid : p.station) ?? '';
  const units = await rows<StationRow>(ctx.conn, byDuid ? UNITS_BY_DUID_SQL : UNITS_BY_STATION_SQL, { name });
  if (units.length === 0) {
    throw new QueryError(
      `${byDuid ? 'no unit with DUID' : 'no station named'} "${name.slice(0, 120)}" (stations.search lists them)`,
    );
  }
  return units;
}

/** The largest station of a region (or the NEM) that reported in the window: tab.stations' default. */
export async function largestStation(ctx: QueryContext, region: RegionChoice, win: Interval): Promise<string | null> {
  const r = await rows<{ station: string }>(ctx.conn, LARGEST_SQL, {
    region,
    d1: dayOf(win.from + 300),
    d2: dayOf(win.to),
    ...rollupCut(ctx, '1d'),
  });
  return r[0]?.station ?? null;
}

export const stations = {
  async 'stations.search'(ctx, p) {
    const r = await rows<StationRow>(ctx.conn, SEARCH_SQL, { q: p.q, region: p.region, limit: p.limit });
    return { q: p.q, rows: r.map((x) => ({ ...x, capacityMw: round(x.capacityMw) as number })) };
  },

  async 'station.output'(ctx, p): Promise<StationOutput> {
    const units = await resolveUnits(ctx, p);
    const duids = textList(units.map((u) => u.duid));
    const sw = seriesWindow(ctx, p);
    // A hybrid station reports under the fuel holding most of its capacity.
    const capacity = new Map<Fuel, number>();
    for (const u of units) capacity.set(u.fuel, (capacity.get(u.fuel) ?? 0) + u.capacityMw);
    const fuel = [...capacity].sort((a, b) => b[1] - a[1])[0][0];
    const region = units[0].region;
    const capacityMw = units.reduce((s, u) => s + u.capacityMw, 0);

    const c = await columns<{ ts: number[]; value: number[] }>(ctx.conn, OUTPUT_SQL[sw.res], {
      lo: sw.lo,
      hi: sw.hi,
      duids,
      ...(sw.res === '1d' ? rollupCut(ctx, '1d') : {}),
    });
    const rrp = await priceColumn(ctx, sw, region);
    const ex = exactWindow(sw);
    const totals = await rows<{ duid: string; mwh: number; revenue: number; co2: number }>(
      ctx.conn,
      OUTPUT_TOTALS_SQL,
      {
        ...ex.params,
        duids,
      },
    );
    totals.sort((x, y) => (x.duid < y.duid ? -1 : 1)); // before summing: rows come back in any order
    const mwh = totals.reduce((s, t) => s + t.mwh, 0);
    const revenue = totals.reduce((s, t) => s + t.revenue, 0);
    const co2 = totals.reduce((s, t) => s + t.co2, 0);
    const tod = await columns<{ hour: number[]; name: string[]; value: number[] }>(ctx.conn, TIME_OF_DAY_SQL, {
      from: Math.max(sw.from, sw.to - TIME_OF_DAY_MAX_S),
      to: sw.to,
      duids,
    });

    return {
      time: sw.times,
      series: { mw: column(sw, c.ts, c.value), rrp },
      unit: 'MW',
      resolution: sw.res,
      duids: units.map((u) => u.duid),
      station: units[0].station,
      region,
      fuel,
      capacityMw: round(capacityMw) as number,
      capacityFactorPct: round(capacityFactorPct(mwh, capacityMw, ex.intervals)),
      energyMwh: round(mwh, 1) as number,
      revenue: round(revenue, 0) as number,
      avgPriceReceived: round(priceReceived(revenue, mwh)),
      co2T: round(co2, 1) as number,
      intensity: round(intensityOf(co2, mwh), 4),
      timeOfDay: {
        hours: [...HOURS],
        series: { mw: hourColumns(tod, ['mw'] as const).mw ?? HOURS.map(() => null) },
        unit: 'MW',
      },
    };
  },

  async 'stations.table'(ctx, p) {
    const ex = exactWindow(dataWindow(ctx, p));
    const r = await rows<{
      region: Region;
      fuel: Fuel;
      station: string;
      duids: string[];
      mwh: number;
      revenue: number;
      cap: number;
    }>(ctx.conn, TABLE_SQL, { ...ex.params, regions: textList(p.regions), fuels: textList(p.fuels) });
    const out: StationsTableRow[] = r.map((x) => ({
      region: x.region,
      fuel: x.fuel,
      station: x.station,
      duids: x.duids,
      gwh: round(x.mwh / 1000, 3) as number,
      revenue: round(x.revenue, 0) as number,
      avgPriceReceived: round(priceReceived(x.revenue, x.mwh)),
      utilisationPct: round(capacityFactorPct(x.mwh, x.cap, ex.intervals)),
      capacityMw: round(x.cap) as number,
    }));
    out.sort(
      (a, b) =>
        REGIONS.indexOf(a.region) - REGIONS.indexOf(b.region) ||
        FUELS.indexOf(a.fuel) - FUELS.indexOf(b.fuel) ||
        b.gwh - a.gwh ||
        (a.station < b.station ? -1 : 1),
    );
    return { rows: out };
  },
} satisfies { [K in StationKind]: Handler<K> };
