// Market status and alert kinds: the status per region from the price and market_status tables; the alert events
// from alert_event (server/alerts/), which the live pipeline fills as intervals and notices commit.
import {
  byRegionOrder,
  CUMULATIVE_INTERVALS,
  CUMULATIVE_PRICE_THRESHOLD,
  MARKET_PRICE_CAP,
  type AlertsKind,
  type MarketStatusRow,
} from '../../shared/kinds/alerts.ts';
import { resolveWindow } from '../../shared/kinds.ts';
import type { Region } from '../../shared/nem.ts';
import { NEWEST_SCAN, newestMatching } from '../alerts/event-ring.ts';
import { historyEvents, latestEvents } from '../alerts/event-store.ts';
import { sumSql } from '../store/fixed-sum.ts';
import type { Handler } from './handler.ts';
import { IN_REGION, round, rows } from './sql.ts';

const STATUS_SQL = `
WITH latest AS (SELECT region, max(ts) AS t FROM price WHERE ts > $wm - 2 * 86400 AND ts <= $wm AND ${IN_REGION}
  GROUP BY region),
cum AS (SELECT p.region, ${sumSql('p.rrp')} AS total, count(*)::INTEGER AS n FROM price p JOIN latest l USING (region)
  WHERE p.ts > l.t - ${CUMULATIVE_INTERVALS * 300} AND p.ts <= l.t GROUP BY p.region)
SELECT l.region, l.t AS time, p.rrp, s.apc_flag, s.suspended, s.price_firm, s.cumul_price, c.total, c.n
FROM latest l JOIN price p ON p.region = l.region AND p.ts = l.t JOIN cum c ON c.region = l.region
LEFT JOIN market_status s ON s.region = l.region AND s.ts = l.t`;

interface StatusRow {
  region: Region;
  time: number;
  rrp: number;
  apc_flag: number | null;
  suspended: number | null;
  price_firm: number | null;
  cumul_price: number | null;
  total: number;
  n: number;
}

const flag = (x: number | null) => (x === null ? null : x === 1);

/** Presets reach from the watermark back; their upper end is open (a notice may come after the last interval). */
const OPEN_END = 2 ** 31 - 1;

export const alerts = {
  async 'market.status'(ctx, p) {
    const r = await rows<StatusRow>(ctx.conn, STATUS_SQL, { wm: ctx.watermark, region: p.region });
    const out: MarketStatusRow[] = r.map((x) => {
      const aemo = x.cumul_price !== null;
      const cumulative = aemo ? x.cumul_price! : x.total;
      return {
        region: x.region,
        time: x.time,
        rrp: round(x.rrp) as number,
        priceStatus: x.price_firm === null ? null : x.price_firm === 1 ? 'firm' : 'not firm',
        administered: flag(x.apc_flag),
        suspended: flag(x.suspended),
        cumulativePrice: round(cumulative) as number,
        cumulativeSource: aemo ? 'aemo' : 'computed',
        cumulativeIntervals: aemo ? CUMULATIVE_INTERVALS : x.n,
        cumulativeShare: round(cumulative / CUMULATIVE_PRICE_THRESHOLD, 4) as number,
      };
    });
    return { threshold: CUMULATIVE_PRICE_THRESHOLD, priceCap: MARKET_PRICE_CAP, rows: out.sort(byRegionOrder) };
  },

  // A query (not a subscription): the newest events its rules match, as a subscription without `since` starts.
  async alerts(ctx, p) {
    const pool = await latestEvents(ctx.conn, NEWEST_SCAN);
    return { events: newestMatching(pool, p.rules), cursor: pool.at(-1)?.seq ?? 0, complete: true };
  },

  async 'alerts.history'(ctx, p) {
    const explicit = p.from !== undefined && p.to !== undefined;
    const w = resolveWindow(p, ctx.watermark, ctx.firstTs);
    return historyEvents(ctx.conn, {
      from: w.from,
      to: explicit ? w.to : OPEN_END,
      regions: p.regions,
      types: p.types,
      limit: p.limit,
    });
  },
} satisfies { [K in AlertsKind]: Handler<K> };
