// Demand kinds: operational demand from the price rows' demand (REGIONSUM's TOTALDEMAND where stored, else DREGION's
// or the demo's), underlying = operational + rooftop solar (the gen_5m rollup's 'Rooftop Solar', each half-hour
// value held over its six intervals). A region's value per interval, the NEM's the sum of the regions', then the
// bucket's mean.
import type { Resolution } from '../../shared/kinds.ts';
import { DEMAND_SERIES, type DemandKind } from '../../shared/kinds/demand.ts';
import { pivot } from './columns.ts';
import type { Handler } from './handler.ts';
import { avgSql, sumSql } from '../store/fixed-sum.ts';
import { columns } from './sql.ts';
import { bucketSql, seriesWindow } from './window.ts';

const historySql = (res: Resolution) => `
WITH op AS (SELECT ts, ${sumSql('demand_mw')} AS mw FROM price
  WHERE ts > $lo AND ts <= $hi AND ($region = 'NEM' OR region = $region) AND demand_mw IS NOT NULL GROUP BY ts),
roof AS (SELECT ts, ${sumSql('mw')} AS mw FROM gen_5m
  WHERE ts > $lo AND ts <= $hi AND fuel = 'Rooftop Solar' AND ($region = 'NEM' OR region = $region) GROUP BY ts),
per AS (SELECT op.ts, op.mw AS operational, op.mw + coalesce(roof.mw, 0) AS underlying FROM op LEFT JOIN roof USING (ts))
SELECT ${bucketSql(res)} AS ts, 'operational' AS name, ${avgSql('operational')} AS value FROM per GROUP BY ALL
UNION ALL
SELECT ${bucketSql(res)} AS ts, 'underlying' AS name, ${avgSql('underlying')} AS value FROM per GROUP BY ALL`;
const HISTORY_SQL = { '5m': historySql('5m'), '30m': historySql('30m'), '1d': historySql('1d') };

export const demand = {
  async 'demand.history'(ctx, p) {
    const sw = seriesWindow(ctx, p);
    const c = await columns<{ ts: number[]; name: string[]; value: number[] }>(ctx.conn, HISTORY_SQL[sw.res], {
      lo: sw.lo,
      hi: sw.hi,
      region: p.region,
    });
    return { time: sw.times, series: pivot(sw, c, DEMAND_SERIES, 1), unit: 'MW', resolution: sw.res };
  },
} satisfies { [K in DemandKind]: Handler<K> };
