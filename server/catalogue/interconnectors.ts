// interconnectors.flows: MW per interconnector (positive from the first-named region to the second) with its
// export and import limits, from the raw 5-minute table (six rows per interval) bucketed like the rollups.
import type { Resolution } from '../../shared/kinds.ts';
import { INTERCONNECTORS, type Region } from '../../shared/nem.ts';
import type { InterconnectorFlows, InterconnectorKind } from '../../shared/kinds/interconnectors.ts';
import type { Column } from '../../shared/kinds/series.ts';
import { DIGITS, pivot } from './columns.ts';
import type { Handler } from './handler.ts';
import { avgSql } from '../store/fixed-sum.ts';
import { columns, textList } from './sql.ts';
import { bucketSql, seriesWindow } from './window.ts';

const flowsSql = (res: Resolution) => `
SELECT ${bucketSql(res)} AS ts, id AS name, ${avgSql('mw')} AS value, ${avgSql('export_limit')} AS export_limit,
  ${avgSql('import_limit')} AS import_limit
FROM interconnector WHERE ts > $lo AND ts <= $hi AND list_contains($ids, id) GROUP BY ALL`;
const FLOWS_SQL = { '5m': flowsSql('5m'), '30m': flowsSql('30m'), '1d': flowsSql('1d') };

type Rows = {
  ts: number[];
  name: string[];
  value: number[];
  export_limit: (number | null)[];
  import_limit: (number | null)[];
};

export const interconnectors = {
  async 'interconnectors.flows'(ctx, p): Promise<InterconnectorFlows> {
    const sw = seriesWindow(ctx, p);
    const links = INTERCONNECTORS.filter((ic) => p.region === 'NEM' || ic.from === p.region || ic.to === p.region);
    const ids = links.map((ic) => ic.id);
    const c = await columns<Rows>(ctx.conn, FLOWS_SQL[sw.res], { lo: sw.lo, hi: sw.hi, ids: textList(ids) });
    const series = pivot(sw, c, ids, DIGITS.regionMw);
    const exportLimit = pivot(sw, { ts: c.ts, name: c.name, value: c.export_limit }, ids, DIGITS.regionMw);
    const importLimit = pivot(sw, { ts: c.ts, name: c.name, value: c.import_limit }, ids, DIGITS.regionMw);
    const empty = (): Column => sw.times.map(() => null);
    const out: InterconnectorFlows['links'] = {};
    for (const ic of links) {
      if (!series[ic.id]) continue;
      out[ic.id] = {
        from: ic.from as Region,
        to: ic.to as Region,
        exportLimit: exportLimit[ic.id] ?? empty(),
        importLimit: importLimit[ic.id] ?? empty(),
      };
    }
    return { time: sw.times, series, unit: 'MW', resolution: sw.res, links: out };
  },
} satisfies { [K in InterconnectorKind]: Handler<K> };
