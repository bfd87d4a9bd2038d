// interconnectors.flows: MW per interconnector (positive from the first-named region to the second) with its
// export and import limits, from the raw 5-minute table (six rows per interval) bucketed like the rollups.
import type { Resolution } from '../../shared/kinds.ts';
import { INTERCONNECTORS, type Region } from '../../shared/nem.ts';
import type { InterconnectorFlows, InterconnectorKind } from '../../shared/kinds/interconnectors.ts';
import type { Column } from '../../shared/kinds/series.ts';
import { DIGITS, pivotQuery } from './columns.ts';
import type { Handler } from './handler.ts';
import { avgSql } from '../store/fixed-sum.ts';
import { textList } from './sql.ts';
import { bucketSql, seriesWindow } from './window.ts';

const flowsSql = (res: Resolution) => `
SELECT ${bucketSql(res)} AS ts, id AS name, ${avgSql('mw')} AS value, ${avgSql('export_limit')} AS export_limit,
  ${avgSql('import_limit')} AS import_limit
FROM interconnector WHERE ts > $lo AND ts <= $hi AND list_contains($ids, id) GROUP BY ALL`;
const FLOWS_SQL = { '5m': flowsSql('5m'), '30m': flowsSql('30m'), '1d': flowsSql('1d') };

export const interconnectors = {
  async 'interconnectors.flows'(ctx, p): Promise<InterconnectorFlows> {
    const sw = seriesWindow(ctx, p);
    const links = INTERCONNECTORS.filter((ic) => p.region === 'NEM' || ic.from === p.region || ic.to === p.region);
    const ids = links.map((ic) => ic.id);
    const [series, exportLimit, importLimit] = await pivotQuery(
      ctx.conn,
      FLOWS_SQL[sw.res],
      { lo: sw.lo, hi: sw.hi, ids: textList(ids) },
      sw,
      ['value', 'export_limit', 'import_limit'].map((value) => ({ value, order: ids, digits: DIGITS.regionMw })),
    );
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
