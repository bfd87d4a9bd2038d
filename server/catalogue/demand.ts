// Demand kinds: operational demand from the price rows' demand (REGIONSUM's TOTALDEMAND where stored, else DREGION's
// or the demo's), underlying = operational + rooftop solar (the gen_5m rollup's 'Rooftop Solar', each half-hour
// value held over its six intervals). A region's value per interval, the NEM's the sum of the regions', then the
// bucket's mean.
import type { DemandKind } from '../../shared/kinds/demand.ts';
import { column } from './columns.ts';
import type { Handler } from './handler.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';
import { columns } from './sql.ts';
import { bucketSql, perRes, seriesWindow } from './window.ts';

const HISTORY_SQL = perRes(
  (res) => `
WITH op AS (SELECT ts, ${sumSql('demand_mw')} AS mw FROM price
  WHERE ts > $lo AND ts <= $hi AND ($region = 'NEM' OR region = $region) AND demand_mw IS NOT NULL GROUP BY ts),
roof AS (SELECT ts, ${sumSql('mw')} AS mw FROM gen_5m
  WHERE ts > $lo AND ts <= $hi AND fuel = 'Rooftop Solar' AND ($region = 'NEM' OR region = $region) GROUP BY ts),
per AS (SELECT op.ts, op.mw AS operational, op.mw + coalesce(roof.mw, 0) AS underlying FROM op LEFT JOIN roof USING (ts))
SELECT ${bucketSql(res)} AS ts, ${avgSql('operational')} AS operational, ${avgSql('underlying')} AS underlying
FROM per GROUP BY ALL`,
);

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
    };
  },
} satisfies { [K in DemandKind]: Handler<K> };
