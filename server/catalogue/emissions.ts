// Emissions kinds, from the rollups' co2 (t CO2-e: each unit's output sent out × its factor × 5/60, rollups.ts) and
// gen_mw (generation, rooftop solar included, charging and imports excluded: the intensity denominator). For the NEM
// the regions are summed (REGION_FILTER); a region's imports add no tonnes and no MWh.
import { FUELS, type Fuel } from '../../shared/nem.ts';
import type { Column } from '../../shared/kinds/series.ts';
import type { EmissionsKind, EmissionsStationRow } from '../../shared/kinds/emissions.ts';
import { column, DIGITS, pivotQuery } from './columns.ts';
import { emissionsCompare } from './emissions-compare.ts';
import { REGION_FILTER } from './generation.ts';
import type { Handler } from './handler.ts';
import { intensityOf, mwhSql, rollupMwhSql } from './measures.ts';
import { unitTotalsSql } from './stations.ts';
import { fixedSumSql, fromFixedSql, sumSql } from '../store/fixed-sum.ts';
import { round, rows, textList } from './sql.ts';
import { rooftopMark } from './rooftop-mark.ts';
import { dataWindow, exactUnionSql, exactWindow, genSourceSql, perRes, rollupCut, seriesWindow } from './window.ts';

// Per fuel and bucket the tonnes; per bucket (name 'intensity') tonnes ÷ MWh generated, adding up the per-fuel exact
// fixed-point sums (the same bits as summing the rows: fixed-sum.ts), so the rows are grouped once.
const HISTORY_SQL = perRes(
  (r) => `
WITH f AS (SELECT ts, fuel, ${fixedSumSql('co2')} AS co2, ${fixedSumSql(r === '5m' ? mwhSql('gen_mw') : rollupMwhSql('gen_mw'))} AS mwh
  FROM ${genSourceSql(r)} WHERE ts BETWEEN $first AND $last AND ${REGION_FILTER} GROUP BY ALL)
SELECT ts, fuel AS name, ${fromFixedSql('co2')} AS value FROM f
UNION ALL SELECT ts, 'intensity' AS name, ${fromFixedSql('sum(co2)')} / nullif(${fromFixedSql('sum(mwh)')}, 0) AS value FROM f GROUP BY ts`,
);

const TOTALS_SQL = `
SELECT coalesce(${sumSql('co2')}, 0) AS t, coalesce(${sumSql('mwh')}, 0) AS mwh FROM (${exactUnionSql(
  `SELECT co2, ${rollupMwhSql('gen_mw')} AS mwh FROM gen_1d WHERE ${REGION_FILTER}`,
  `SELECT co2, ${mwhSql('gen_mw')} FROM gen_5m WHERE ${REGION_FILTER}`,
)})`;

const STATIONS_SQL = `
WITH t AS (${unitTotalsSql((d) => `${d} IN (SELECT duid FROM units WHERE list_contains($regions, region) AND list_contains($fuels, fuel))`)})
SELECT u.region, u.fuel, u.station, t.duid, f.factor, f.source, t.mwh, t.co2
FROM t JOIN units u USING (duid) JOIN unit_factor f USING (duid)
ORDER BY u.region, u.fuel, u.station, t.duid`;

const emitted = (c: Column) => c.some((v) => v !== null && v !== 0);

export const emissions = {
  async 'emissions.history'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const [tonnes, ratio] = await pivotQuery<Fuel | 'intensity'>(
      ctx.conn,
      HISTORY_SQL[sw.res],
      { first: sw.first, last: sw.last, region: p.region, ...rollupCut(ctx, sw.res) },
      sw,
      [
        { value: 'value', order: FUELS, digits: DIGITS.tonnes },
        { value: 'value', order: ['intensity'], digits: DIGITS.intensity },
      ],
    );
    const series: Partial<Record<Fuel, Column>> = {};
    for (const [fuel, col] of Object.entries(tonnes) as [Fuel, Column][]) if (emitted(col)) series[fuel] = col;
    const intensity = ratio.intensity as Column | undefined;
    const [total] = await rows<{ t: number; mwh: number }>(ctx.conn, TOTALS_SQL, {
      ...exactWindow(sw).params,
      region: p.region,
    });
    return {
      time: sw.times,
      series: series as Record<Fuel, Column>,
      unit: 't CO2-e',
      resolution: sw.res,
      intensity: intensity ?? column(sw, [], []),
      totalT: round(total.t, DIGITS.tonnes) as number,
      totalMWh: round(total.mwh, 1) as number,
      ...(await rooftopMark(ctx, sw, p.region)),
    };
  },

  async 'emissions.stations'(ctx, p) {
    const ex = exactWindow(dataWindow(ctx, p));
    const r = await rows<{
      region: EmissionsStationRow['region'];
      fuel: Fuel;
      station: string;
      duid: string;
      factor: number;
      source: 'CDEII' | 'technology';
      mwh: number;
      co2: number;
    }>(ctx.conn, STATIONS_SQL, { ...ex.params, regions: textList(p.regions), fuels: textList(p.fuels) });
    // Rows come sorted by station and unit, so each station's sums add in one order.
    const byStation = new Map<string, { row: EmissionsStationRow; t: number; mwh: number }>();
    for (const x of r) {
      const key = `${x.region}|${x.fuel}|${x.station}`;
      let s = byStation.get(key);
      if (!s) {
        const row = { region: x.region, fuel: x.fuel, station: x.station, t: 0, mwh: 0, intensity: null, units: [] };
        byStation.set(key, (s = { row, t: 0, mwh: 0 }));
      }
      s.t += x.co2;
      s.mwh += x.mwh;
      s.row.units.push({
        duid: x.duid,
        factor: round(x.factor, 6) as number,
        source: x.source,
        t: round(x.co2, DIGITS.tonnes) as number,
        mwh: round(x.mwh, 1) as number,
        intensity: round(intensityOf(x.co2, x.mwh), DIGITS.intensity),
      });
    }
    const out = [...byStation.values()]
      .filter((s) => s.t > 0)
      .map(({ row, t, mwh }) => ({
        ...row,
        t: round(t, DIGITS.tonnes) as number,
        mwh: round(mwh, 1) as number,
        intensity: round(intensityOf(t, mwh), DIGITS.intensity),
      }));
    out.sort((a, b) => b.t - a.t || (a.station < b.station ? -1 : a.station > b.station ? 1 : 0));
    return { rows: out.slice(0, p.limit) };
  },

  'emissions.compare': emissionsCompare,
} satisfies { [K in EmissionsKind]: Handler<K> };
