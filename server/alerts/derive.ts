// What fires when intervals (lo, hi] commit: a pure function of the stored data, so deriving an interval again (a
// retried batch, another process) finds the same events under the same keys.
// - price.above, per level: the price at or above the level while the last decisive interval before it (at or above,
//   or below level − band) was below: hysteresis, so a price hovering at a level fires once. Looked back 7 days at
//   start, then carried from one commit to the next (with each region's maxima), so a commit reads only its intervals.
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

/** Each price's state per condition: 1 reached, 0 clear (re-armed), NULL in the band; level −1: negative prices. */
const STATES = `lv AS (SELECT unnest([${PRICE_LEVELS.join(', ')}]::DOUBLE[]) AS level),
c AS (
  SELECT p.ts, p.region, p.rrp, lv.level,
    CASE WHEN p.rrp >= lv.level THEN 1 WHEN p.rrp < lv.level - ${bandSql('lv.level')} THEN 0 END AS state
  FROM p, lv
  UNION ALL
  SELECT ts, region, rrp, -1 AS level, CASE WHEN rrp < 0 THEN 1 WHEN rrp >= ${NEGATIVE_REARM} THEN 0 END AS state FROM p)`;

// One statement (one round trip on the commit's path) over the new intervals only, given what was carried from the
// ones before (each condition's last decisive state, each region's maxima): each row an event as (kind, ts, region,
// value, level). Crossings: one row per (region, level) reached. Records: the interval before lo is read too, to know
// whether it was itself a record. Flags: AEMO's flag on where it was off before. Then what to carry to the next call:
// ('state', region, level, state) and ('max', region, price, demand).
const EVENTS_SQL = `
WITH p AS (SELECT ts, region, rrp FROM price WHERE ts > $lo AND ts <= $hi),
${STATES},
seed AS (SELECT unnest($sr::VARCHAR[]) AS region, unnest($sl::DOUBLE[]) AS level, unnest($ss::INTEGER[]) AS state),
w AS (SELECT c.*, coalesce(last_value(c.state IGNORE NULLS) OVER (PARTITION BY c.region, c.level ORDER BY c.ts
  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), seed.state) AS before
  FROM c LEFT JOIN seed ON seed.region = c.region AND seed.level = c.level),
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
SELECT CASE WHEN level = -1 THEN 'price.negative' ELSE 'price.above' END AS kind, ts, region, rrp AS value, level
  FROM w WHERE state = 1 AND coalesce(before, 0) = 0
UNION ALL SELECT 'price.record', ts, region, rrp, before_r FROM rg WHERE ts > $lo AND rec_r AND NOT prev_r
UNION ALL SELECT 'demand.record', ts, region, demand_mw, before_d FROM rg WHERE ts > $lo AND rec_d AND NOT prev_d
UNION ALL SELECT 'market.administered', ts, region, NULL, NULL FROM s WHERE ts > $lo AND apc_flag = 1 AND apc_before <> 1
UNION ALL SELECT 'market.suspended', ts, region, NULL, NULL FROM s WHERE ts > $lo AND suspended = 1
  AND suspended_before <> 1
UNION ALL SELECT 'state', NULL, region, level, arg_max(state, ts) FROM c WHERE state IS NOT NULL GROUP BY region, level
UNION ALL SELECT 'max', NULL, region, max(rrp), max(demand_mw) FROM fresh WHERE ts <= $hi - 300 GROUP BY region`;

/** At start: each condition's last decisive state over the 7 days up to $upTo. */
const STATES_SQL = `
WITH p AS (SELECT ts, region, rrp FROM price WHERE ts > $upTo - ${LOOKBACK_S} AND ts <= $upTo),
${STATES}
SELECT region, level, arg_max(state, ts) AS state FROM c WHERE state IS NOT NULL GROUP BY region, level`;

/** At start: each region's highest price and demand up to $upTo. */
const MAXIMA_SQL = `SELECT region, max(rrp) AS rrp, max(demand_mw) AS demand FROM price WHERE ts <= $upTo GROUP BY region`;

/**
 * What deriving the next intervals needs of the earlier ones: each region's highest price and demand (what a record
 * beats) and each condition's last decisive state (key `region|level`, level −1: negative prices; absent: armed).
 */
export interface Carried {
  maxima: Map<string, { rrp: number; demand: number }>;
  states: Map<string, number>;
}

/** Read once at start for intervals from `lo` on (the states looked back 7 days); then carried forward by derive. */
export async function seedCarried(conn: DuckDBConnection, lo: number): Promise<Carried> {
  const m = await rows<{ region: string; rrp: number; demand: number }>(conn, MAXIMA_SQL, { upTo: lo - 300 });
  const st = await rows<{ region: string; level: number; state: number }>(conn, STATES_SQL, { upTo: lo });
  return {
    maxima: new Map(m.map((x) => [x.region, { rrp: x.rrp, demand: x.demand }])),
    states: new Map(st.map((x) => [`${x.region}|${x.level}`, x.state])),
  };
}

/** Every condition's level: PRICE_LEVELS, and −1 for negative prices. */
const CONDITION_LEVELS = [-1, ...PRICE_LEVELS];

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

/** The events intervals (lo, hi] fire, in time order (what they need of earlier ones read from the store). */
export async function deriveIntervalEvents(conn: DuckDBConnection, lo: number, hi: number): Promise<Candidate[]> {
  return (await derive(conn, lo, hi, await seedCarried(conn, lo))).events;
}

/**
 * The events intervals (lo, hi] fire, given what was carried from those up to lo (`before`, not changed); `after`:
 * what to carry from those up to hi, for the next call. One statement over the new intervals only.
 */
export async function derive(
  conn: DuckDBConnection,
  lo: number,
  hi: number,
  before: Carried,
): Promise<{ events: Candidate[]; after: Carried }> {
  if (hi <= lo) return { events: [], after: before };
  // Every region and condition: -∞ where no price is stored yet, armed where no state is known (a list is never
  // empty: it would have no type to bind).
  const max = (r: Region, k: 'rrp' | 'demand') => before.maxima.get(r)?.[k] ?? -Infinity;
  const seeds = REGIONS.flatMap((r) =>
    CONDITION_LEVELS.map((l) => [r, l, before.states.get(`${r}|${l}`) ?? 0] as const),
  );
  const found = await rows<{
    kind: AlertType | 'max' | 'state';
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
    sr: textList(seeds.map((x) => x[0])),
    sl: numberList(seeds.map((x) => x[1])),
    ss: numberList(seeds.map((x) => x[2])),
  });
  const after: Carried = { maxima: new Map(before.maxima), states: new Map(before.states) };
  for (const m of found)
    if (m.kind === 'max') {
      const was = after.maxima.get(m.region);
      after.maxima.set(m.region, {
        rrp: Math.max(m.value!, was?.rrp ?? -Infinity),
        demand: Math.max(m.level!, was?.demand ?? -Infinity),
      });
    } else if (m.kind === 'state') after.states.set(`${m.region}|${m.value}`, m.level!);
  const out = found.flatMap((e) => {
    if (e.kind === 'max' || e.kind === 'state') return [];
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
