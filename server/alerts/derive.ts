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
import { numberList, rows, textList } from '../catalogue/sql.ts';
import type { Candidate } from './event-store.ts';

const LOOKBACK_S = 7 * 86400;

/** levelBand in SQL (the same rule: max($50, 10% of the level)). */
function bandSql(level: string): string {
  if (levelBand(1000) !== 100 || levelBand(300) !== 50) throw new Error('levelBand changed: change bandSql with it');
  return `greatest(50, ${level} * 0.1)`;
}

// One statement (one round trip on the commit's path): each row an event as (kind, ts, region, value, level).
// Crossings: one row per (region, level) reached; level NULL = the negative-price condition. Records: the interval
// before lo is read too, to know whether it was itself a record. Flags: AEMO's flag on where it was off before.
const EVENTS_SQL = `
WITH p AS (SELECT ts, region, rrp FROM price WHERE ts > $lo - ${LOOKBACK_S} AND ts <= $hi),
lv AS (SELECT unnest([${PRICE_LEVELS.join(', ')}]::DOUBLE[]) AS level),
c AS (
  SELECT p.ts, p.region, p.rrp, lv.level,
    CASE WHEN p.rrp >= lv.level THEN 1 WHEN p.rrp < lv.level - ${bandSql('lv.level')} THEN 0 END AS state
  FROM p, lv
  UNION ALL
  SELECT ts, region, rrp, NULL AS level, CASE WHEN rrp < 0 THEN 1 WHEN rrp >= ${NEGATIVE_REARM} THEN 0 END AS state FROM p),
w AS (SELECT *, last_value(state IGNORE NULLS) OVER (PARTITION BY region, level ORDER BY ts
  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM c),
base AS (SELECT * FROM (SELECT unnest($regions::VARCHAR[]) AS region, unnest($mr::DOUBLE[]) AS mr,
  unnest($md::DOUBLE[]) AS md) WHERE isfinite(mr)),
fresh AS (SELECT ts, region, rrp, demand_mw FROM price WHERE ts > $lo - 300 AND ts <= $hi),
rw AS (SELECT fresh.*, greatest(b.mr, max(fresh.rrp) OVER win) AS before_r,
    greatest(b.md, max(fresh.demand_mw) OVER win) AS before_d
  FROM fresh JOIN base b USING (region)
  WINDOW win AS (PARTITION BY fresh.region ORDER BY fresh.ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
rf AS (SELECT *, coalesce(rrp > before_r, false) AS rec_r, coalesce(demand_mw > before_d, false) AS rec_d FROM rw),
rg AS (SELECT *, coalesce(lag(rec_r) OVER (PARTITION BY region ORDER BY ts), false) AS prev_r,
  coalesce(lag(rec_d) OVER (PARTITION BY region ORDER BY ts), false) AS prev_d FROM rf),
s AS (SELECT ts, region, apc_flag, suspended,
  coalesce(lag(apc_flag) OVER (PARTITION BY region ORDER BY ts), 0) AS apc_before,
  coalesce(lag(suspended) OVER (PARTITION BY region ORDER BY ts), 0) AS suspended_before
  FROM market_status WHERE ts > $lo - 300 AND ts <= $hi)
SELECT CASE WHEN level IS NULL THEN 'price.negative' ELSE 'price.above' END AS kind, ts, region, rrp AS value, level
  FROM w WHERE ts > $lo AND state = 1 AND coalesce(before, 0) = 0
UNION ALL SELECT 'price.record', ts, region, rrp, before_r FROM rg WHERE ts > $lo AND rec_r AND NOT prev_r
UNION ALL SELECT 'demand.record', ts, region, demand_mw, before_d FROM rg WHERE ts > $lo AND rec_d AND NOT prev_d
UNION ALL SELECT 'market.administered', ts, region, NULL, NULL FROM s WHERE ts > $lo AND apc_flag = 1 AND apc_before <> 1
UNION ALL SELECT 'market.suspended', ts, region, NULL, NULL FROM s WHERE ts > $lo AND suspended = 1
  AND suspended_before <> 1
UNION ALL SELECT 'max', NULL, region, max(rrp), max(demand_mw) FROM fresh WHERE ts <= $hi - 300 GROUP BY region`;

const MAXIMA_SQL = `SELECT region, max(rrp) AS rrp, max(demand_mw) AS demand FROM price WHERE ts <= $upTo GROUP BY region`;

/** Each region's highest price and demand over the intervals up to some time: what a record must beat. */
export type Maxima = Map<string, { rrp: number; demand: number }>;

/** The maxima over the intervals up to `upTo`: read once at start, then carried forward by derive. */
export async function seedMaxima(conn: DuckDBConnection, upTo: number): Promise<Maxima> {
  const r = await rows<{ region: string; rrp: number; demand: number }>(conn, MAXIMA_SQL, { upTo });
  return new Map(r.map((x) => [x.region, { rrp: x.rrp, demand: x.demand }]));
}

/** The order events of one interval are listed in: the statement's own, kept stable whatever the plan. */
const KIND_ORDER: AlertType[] = [
  'price.negative',
  'price.above',
  'price.record',
  'demand.record',
  'market.administered',
  'market.suspended',
];

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
  return { key, type, region, time, value, level, text, notice: null };
}

/** The events intervals (lo, hi] fire, in time order (the maxima read from the store). */
export async function deriveIntervalEvents(conn: DuckDBConnection, lo: number, hi: number): Promise<Candidate[]> {
  return (await derive(conn, lo, hi, await seedMaxima(conn, lo - 300))).events;
}

/**
 * The events intervals (lo, hi] fire, given the maxima over the intervals up to lo − 300 (`before`, not changed);
 * `after`: the maxima over those up to hi − 300, for the next call (one statement, no scan of the whole history).
 */
export async function derive(
  conn: DuckDBConnection,
  lo: number,
  hi: number,
  before: Maxima,
): Promise<{ events: Candidate[]; after: Maxima }> {
  if (hi <= lo) return { events: [], after: before };
  // Every region, -∞ where none is stored yet (a list is never empty: it would have no type to bind).
  const max = (r: Region, k: 'rrp' | 'demand') => before.get(r)?.[k] ?? -Infinity;
  const found = await rows<{
    kind: AlertType | 'max';
    ts: number;
    region: Region;
    value: number | null;
    level: number | null;
  }>(conn, EVENTS_SQL, {
    lo,
    hi,
    regions: textList(REGIONS),
    mr: numberList(REGIONS.map((r) => max(r, 'rrp'))),
    md: numberList(REGIONS.map((r) => max(r, 'demand'))),
  });
  const after: Maxima = new Map(before);
  for (const m of found)
    if (m.kind === 'max') {
      const was = after.get(m.region);
      after.set(m.region, {
        rrp: Math.max(m.value!, was?.rrp ?? -Infinity),
        demand: Math.max(m.level!, was?.demand ?? -Infinity),
      });
    }
  const out = found.flatMap((e) => {
    if (e.kind === 'max') return [];
    const v = e.value;
    switch (e.kind) {
      case 'price.negative':
        return candidate(e.kind, e.region, e.ts, r2(v!), null, `${e.region} price negative: ${money(v!)}/MWh`);
      case 'price.above':
        return candidate(
          e.kind,
          e.region,
          e.ts,
          r2(v!),
          e.level,
          `${e.region} price ${money(v!)}/MWh, at or above ${money(e.level!)}`,
        );
      case 'price.record':
        return candidate(
          e.kind,
          e.region,
          e.ts,
          r2(v!),
          r2(e.level!),
          `${e.region} price record ${money(v!)}/MWh (was ${money(e.level!)})`,
        );
      case 'demand.record':
        return candidate(
          e.kind,
          e.region,
          e.ts,
          r2(v!),
          r2(e.level!),
          `${e.region} demand record ${mw(v!)} (was ${mw(e.level!)})`,
        );
      case 'market.administered':
        return candidate(e.kind, e.region, e.ts, null, null, `${e.region} administered pricing applies`);
      default:
        return candidate(e.kind, e.region, e.ts, null, null, `${e.region} market suspended`);
    }
  });
  // Time, then the regions' usual order (the order a subscriber reads them in), then kind and level.
  const at = (c: Candidate) => REGIONS.indexOf(c.region as Region);
  const events = out.sort(
    (a, b) =>
      a.time - b.time ||
      at(a) - at(b) ||
      KIND_ORDER.indexOf(a.type) - KIND_ORDER.indexOf(b.type) ||
      (a.level ?? 0) - (b.level ?? 0),
  );
  return { events, after };
}
