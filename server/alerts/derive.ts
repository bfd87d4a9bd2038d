// What fires when intervals (lo, hi] commit: a pure function of the stored data, so deriving an interval again (a
// retried batch, another process) finds the same events under the same keys.
// - price.above, per level: the price at or above the level while the last decisive interval before it (at or above,
//   or below level − band) was below: hysteresis, so a price hovering at a level fires once. Looked back 7 days.
// - price.negative: the same with "below $0" and a re-arm at $10.
// - price.record / demand.record: above every earlier interval of the region in the store, where the interval before
//   was not itself a record (a run of rising records is one event).
// - market.administered / market.suspended: AEMO's flag turning on (off in the interval before).
import type { DuckDBConnection } from '@duckdb/node-api';
import { levelBand, NEGATIVE_REARM, PRICE_LEVELS, type AlertType } from '../../shared/kinds/alerts.ts';
import { REGIONS, type Region } from '../../shared/nem.ts';
import { rows } from '../catalogue/sql.ts';
import type { Candidate } from './event-store.ts';

const LOOKBACK_S = 7 * 86400;

// One row per (region, level) crossing; level NULL = the negative-price condition.
const CROSSINGS_SQL = `
WITH p AS (SELECT ts, region, rrp FROM price WHERE ts > $lo - ${LOOKBACK_S} AND ts <= $hi),
lv AS (SELECT unnest([${PRICE_LEVELS.join(', ')}]::DOUBLE[]) AS level),
c AS (
  SELECT p.ts, p.region, p.rrp, lv.level,
    CASE WHEN p.rrp >= lv.level THEN 1 WHEN p.rrp < lv.level - ${bandSql('lv.level')} THEN 0 END AS state
  FROM p, lv
  UNION ALL
  SELECT ts, region, rrp, NULL AS level, CASE WHEN rrp < 0 THEN 1 WHEN rrp >= ${NEGATIVE_REARM} THEN 0 END AS state FROM p),
w AS (SELECT *, last_value(state IGNORE NULLS) OVER (PARTITION BY region, level ORDER BY ts
  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM c)
SELECT ts, region, rrp, level FROM w WHERE ts > $lo AND state = 1 AND coalesce(before, 0) = 0
ORDER BY ts, region, level NULLS FIRST`;

/** levelBand in SQL (the same rule: max($50, 10% of the level)). */
function bandSql(level: string): string {
  if (levelBand(1000) !== 100 || levelBand(300) !== 50) throw new Error('levelBand changed: change bandSql with it');
  return `greatest(50, ${level} * 0.1)`;
}

// The interval before lo is read too, to know whether it was itself a record.
const RECORDS_SQL = `
WITH base AS (SELECT region, max(rrp) AS mr, max(demand_mw) AS md FROM price WHERE ts <= $lo - 300 GROUP BY region),
n AS (SELECT ts, region, rrp, demand_mw FROM price WHERE ts > $lo - 300 AND ts <= $hi),
w AS (SELECT n.*, greatest(b.mr, max(n.rrp) OVER win) AS before_r, greatest(b.md, max(n.demand_mw) OVER win) AS before_d
  FROM n JOIN base b USING (region)
  WINDOW win AS (PARTITION BY n.region ORDER BY n.ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
f AS (SELECT *, coalesce(rrp > before_r, false) AS rec_r, coalesce(demand_mw > before_d, false) AS rec_d FROM w),
g AS (SELECT *, lag(rec_r) OVER (PARTITION BY region ORDER BY ts) AS prev_r,
  lag(rec_d) OVER (PARTITION BY region ORDER BY ts) AS prev_d FROM f)
SELECT ts, region, rrp, demand_mw, before_r, before_d, rec_r AND NOT coalesce(prev_r, false) AS price_record,
  rec_d AND NOT coalesce(prev_d, false) AS demand_record
FROM g WHERE ts > $lo AND ((rec_r AND NOT coalesce(prev_r, false)) OR (rec_d AND NOT coalesce(prev_d, false)))
ORDER BY ts, region`;

const FLAGS_SQL = `
WITH s AS (SELECT ts, region, apc_flag, suspended,
  lag(apc_flag) OVER (PARTITION BY region ORDER BY ts) AS apc_before,
  lag(suspended) OVER (PARTITION BY region ORDER BY ts) AS suspended_before
  FROM market_status WHERE ts > $lo - 300 AND ts <= $hi)
SELECT ts, region, apc_flag = 1 AND coalesce(apc_before, 0) <> 1 AS administered,
  suspended = 1 AND coalesce(suspended_before, 0) <> 1 AS suspension
FROM s WHERE ts > $lo AND ((apc_flag = 1 AND coalesce(apc_before, 0) <> 1) OR (suspended = 1 AND coalesce(suspended_before, 0) <> 1))
ORDER BY ts, region`;

const money = (x: number) => `$${Math.round(x).toLocaleString('en-AU')}`;
const mw = (x: number) => `${Math.round(x).toLocaleString('en-AU')} MW`;
const r2 = (x: number) => Math.round(x * 100) / 100;

function candidate(
  type: AlertType,
  region: Region,
  time: number,
  value: number | null,
  level: number | null,
  text: string,
): Candidate {
  const key = `${type}:${region}:${level ?? ''}:${time}`;
  return { key, type, region, time, value, level, text, noticeId: null };
}

/** The events intervals (lo, hi] fire, in time order. */
export async function deriveIntervalEvents(conn: DuckDBConnection, lo: number, hi: number): Promise<Candidate[]> {
  if (hi <= lo) return [];
  const out: Candidate[] = [];
  const crossings = await rows<{ ts: number; region: Region; rrp: number; level: number | null }>(conn, CROSSINGS_SQL, {
    lo,
    hi,
  });
  for (const c of crossings) {
    if (c.level === null)
      out.push(
        candidate('price.negative', c.region, c.ts, r2(c.rrp), null, `${c.region} price negative: ${money(c.rrp)}/MWh`),
      );
    else
      out.push(
        candidate(
          'price.above',
          c.region,
          c.ts,
          r2(c.rrp),
          c.level,
          `${c.region} price ${money(c.rrp)}/MWh, at or above ${money(c.level)}`,
        ),
      );
  }
  const records = await rows<{
    ts: number;
    region: Region;
    rrp: number;
    demand_mw: number | null;
    before_r: number;
    before_d: number | null;
    price_record: boolean;
    demand_record: boolean;
  }>(conn, RECORDS_SQL, { lo, hi });
  for (const r of records) {
    if (r.price_record)
      out.push(
        candidate(
          'price.record',
          r.region,
          r.ts,
          r2(r.rrp),
          r2(r.before_r),
          `${r.region} price record ${money(r.rrp)}/MWh (was ${money(r.before_r)})`,
        ),
      );
    if (r.demand_record && r.demand_mw !== null && r.before_d !== null)
      out.push(
        candidate(
          'demand.record',
          r.region,
          r.ts,
          r2(r.demand_mw),
          r2(r.before_d),
          `${r.region} demand record ${mw(r.demand_mw)} (was ${mw(r.before_d)})`,
        ),
      );
  }
  const flags = await rows<{ ts: number; region: Region; administered: boolean; suspension: boolean }>(
    conn,
    FLAGS_SQL,
    {
      lo,
      hi,
    },
  );
  for (const f of flags) {
    if (f.administered)
      out.push(
        candidate('market.administered', f.region, f.ts, null, null, `${f.region} administered pricing applies`),
      );
    if (f.suspension)
      out.push(candidate('market.suspended', f.region, f.ts, null, null, `${f.region} market suspended`));
  }
  // Time, then the regions' usual order (the order a subscriber reads them in).
  const at = (c: Candidate) => REGIONS.indexOf(c.region as Region);
  return out.sort((a, b) => a.time - b.time || at(a) - at(b));
}
