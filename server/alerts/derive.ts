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
import { rows } from '../catalogue/sql.ts';
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

// The new intervals' rows, and the one before them (whether it was itself a record, each flag's state before): one
// small read on the commit's path; the rules are applied to them in TypeScript (a statement applying them took 10–40 ms
// to plan and run on every commit, the read takes about a millisecond).
const ROWS_SQL = `SELECT 0 AS src, ts, region, rrp AS a, demand_mw AS b FROM price WHERE ts > $lo - 300 AND ts <= $hi
UNION ALL SELECT 1, ts, region, apc_flag, suspended FROM market_status WHERE ts > $lo - 300 AND ts <= $hi
ORDER BY src, ts, region`;

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

/** The order events of one interval are listed in. */
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
 * what to carry from those up to hi, for the next call. One read of the new intervals only.
 */
export async function derive(
  conn: DuckDBConnection,
  lo: number,
  hi: number,
  before: Carried,
): Promise<{ events: Candidate[]; after: Carried }> {
  if (hi <= lo) return { events: [], after: before };
  const read = await rows<{ src: 0 | 1; ts: number; region: Region; a: number; b: number | null }>(conn, ROWS_SQL, {
    lo,
    hi,
  });
  const after: Carried = { maxima: new Map(before.maxima), states: new Map(before.states) };
  const out: Candidate[] = [];
  for (const region of REGIONS) {
    const mine = read.filter((r) => r.region === region);
    const prices = mine.filter((r) => r.src === 0);
    crossings(region, prices, lo, before, after, out);
    records(region, prices, lo, hi, before, after, out);
    flags(
      region,
      mine.filter((r) => r.src === 1),
      lo,
      out,
    );
  }
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

/** A row of ROWS_SQL: a price (a = rrp, b = demand) or a market status (a = APC flag, b = suspended). */
interface Row {
  src: 0 | 1;
  ts: number;
  region: Region;
  a: number;
  b: number | null;
}

/** A price's state for a condition: 1 reached, 0 clear (re-armed), null in the band; level −1: negative prices. */
function stateOf(rrp: number, level: number): 0 | 1 | null {
  if (level === -1) return rrp < 0 ? 1 : rrp >= NEGATIVE_REARM ? 0 : null;
  return rrp >= level ? 1 : rrp < level - levelBand(level) ? 0 : null;
}

/** Levels reached where the last decisive state before was clear; carries each condition's last decisive state. */
function crossings(region: Region, prices: Row[], lo: number, before: Carried, after: Carried, out: Candidate[]) {
  for (const level of CONDITION_LEVELS) {
    const key = `${region}|${level}`;
    let last = before.states.get(key) ?? 0; // none known: armed
    let seen = false;
    for (const p of prices) {
      if (p.ts <= lo) continue;
      const state = stateOf(p.a, level);
      if (state === null) continue;
      if (state === 1 && last === 0)
        out.push(
          level === -1
            ? candidate('price.negative', region, p.ts, r2(p.a), null, `${region} price negative: ${money(p.a)}/MWh`)
            : candidate(
                'price.above',
                region,
                p.ts,
                r2(p.a),
                level,
                `${region} price ${money(p.a)}/MWh, at or above ${money(level)}`,
              ),
        );
      last = state;
      seen = true;
    }
    if (seen) after.states.set(key, last);
  }
}

/**
 * Price and demand records: above every earlier interval of the region (the carried maxima, then the rows before),
 * where the interval before was not itself one. The interval at lo is read for that; it fires nothing here. Carries
 * the maxima of the intervals up to hi − 300 (a record is judged against the intervals before it).
 */
function records(
  region: Region,
  prices: Row[],
  lo: number,
  hi: number,
  before: Carried,
  after: Carried,
  out: Candidate[],
) {
  const base = before.maxima.get(region);
  const baseR = base?.rrp ?? -Infinity;
  const baseD = base?.demand ?? -Infinity;
  // No price stored before these: nothing to beat, so no record (the first interval is not one).
  const judged = Number.isFinite(baseR);
  let maxR = baseR;
  let maxD = baseD;
  let prevR = false;
  let prevD = false;
  let carryR = -Infinity;
  let carryD = -Infinity;
  for (const p of prices) {
    const demand = p.b;
    const recR = judged && p.a > maxR;
    // Likewise demand: prices stored without it (a backfill of price files alone) leave no demand to beat.
    const recD = judged && demand !== null && maxD > -Infinity && demand > maxD;
    if (p.ts > lo && recR && !prevR)
      out.push(
        candidate(
          'price.record',
          region,
          p.ts,
          r2(p.a),
          r2(maxR),
          `${region} price record ${money(p.a)}/MWh (was ${money(maxR)})`,
        ),
      );
    if (p.ts > lo && recD && !prevD)
      out.push(
        candidate(
          'demand.record',
          region,
          p.ts,
          r2(demand!),
          r2(maxD),
          `${region} demand record ${mw(demand!)} (was ${mw(maxD)})`,
        ),
      );
    prevR = recR;
    prevD = recD;
    maxR = Math.max(maxR, p.a);
    if (demand !== null) maxD = Math.max(maxD, demand);
    if (p.ts <= hi - 300) {
      carryR = Math.max(carryR, p.a);
      if (demand !== null) carryD = Math.max(carryD, demand);
    }
  }
  if (carryR > -Infinity) after.maxima.set(region, { rrp: Math.max(carryR, baseR), demand: Math.max(carryD, baseD) });
}

/** AEMO's administered-pricing and suspension flags turning on (off, or no row, in the interval before). */
function flags(region: Region, status: Row[], lo: number, out: Candidate[]) {
  let apcBefore = 0;
  let suspendedBefore: number | null = 0;
  for (const s of status) {
    if (s.ts > lo && s.a === 1 && apcBefore !== 1)
      out.push(candidate('market.administered', region, s.ts, null, null, `${region} administered pricing applies`));
    if (s.ts > lo && s.b === 1 && suspendedBefore !== 1)
      out.push(candidate('market.suspended', region, s.ts, null, null, `${region} market suspended`));
    apcBefore = s.a;
    suspendedBefore = s.b;
  }
}
