// Market status and alerts: the market's state per region (price status, administered pricing, suspension, the
// cumulative price against its threshold), the events derived when intervals commit (price thresholds, negative
// prices, records, AEMO market notices), the rules an `alerts` subscription filters them with, and their history.
import { REGION_CHOICES, REGIONS, type Region, type RegionChoice } from '../nem.ts';
import { region, regions, returns, timeParams, type Contracts, type Parsed } from './contract.ts';

/**
 * The reliability settings of FY2025-26 (AEMC schedule): market price cap ($/MWh) and cumulative price threshold ($,
 * the sum of the last 2,016 five-minute prices, 7 days, past which administered pricing applies).
 */
export const MARKET_PRICE_CAP = 20300;
export const CUMULATIVE_PRICE_THRESHOLD = 1823600;
/** Intervals the cumulative price adds up (7 days of 5-minute prices). */
export const CUMULATIVE_INTERVALS = 2016;

/**
 * Price levels an event is derived for: a rule's `price.above` threshold is one of them. Events are the market's, not
 * a user's: computed once when an interval commits, kept with a unique key, the same for every subscriber.
 */
export const PRICE_LEVELS = [300, 1000, 5000, 10000, MARKET_PRICE_CAP] as const;
/**
 * Hysteresis: after firing, a level fires again only once the price has been below level − band (a price hovering
 * at the level does not flap); negative prices re-arm at or above NEGATIVE_REARM.
 */
export const levelBand = (level: number): number => Math.max(50, level * 0.1);
export const NEGATIVE_REARM = 10;

export const ALERT_TYPES = [
  'price.above',
  'price.negative',
  'price.record',
  'demand.record',
  'market.administered',
  'market.suspended',
  'notice',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const NOTICE_CATEGORIES = ['lor', 'reserve', 'administered', 'suspension', 'other'] as const;
export type NoticeCategory = (typeof NOTICE_CATEGORIES)[number];

export interface NoticeRef {
  /** AEMO's notice number. */
  id: number;
  /** AEMO's "Notice Type ID", e.g. RESERVE NOTICE. */
  typeId: string;
  /** AEMO's "External Reference": the notice's one-line title. */
  reference: string;
  category: NoticeCategory;
  /** LOR level (1–3) of a lack-of-reserve notice, else null. */
  lor: number | null;
  /** A forecast condition (LOR forecast), not an actual one. */
  forecast: boolean;
  /** The notice cancels an earlier one. */
  cancelled: boolean;
}

export interface AlertEvent {
  /**
   * The event's cursor: its place in the one order every replica agrees on, computed from the event alone
   * (eventCursor); what `since` names. Not a count: numbers are skipped.
   */
  seq: number;
  /** Unique: type, region, level and time (or the notice id); an event is stored and sent once. */
  key: string;
  type: AlertType;
  /** null: the whole market (a notice naming no region). */
  region: Region | null;
  /** Interval end (epoch s) the event is about; a notice's creation time. */
  time: number;
  /** The price ($/MWh) or demand (MW) that fired it; null for notices. */
  value: number | null;
  /** The level crossed ($/MWh), the record beaten, or a notice's LOR level. */
  level: number | null;
  /** One line for people (a toast, an SMS). */
  text: string;
  notice: NoticeRef | null;
}

export interface AlertsAnswer {
  /** Oldest first (by cursor). */
  events: AlertEvent[];
  /**
   * Every event up to this cursor has been sent (or was before the subscription): send it back as `since` after a
   * reconnect, to this server or another replica. 0: none yet.
   */
  cursor: number;
  /** false: `since` is older than the events the server still holds to replay; some may be missing. */
  complete: boolean;
}

export interface AlertsHistory {
  /** Newest first. */
  events: AlertEvent[];
  /** Matching events in the window (events may hold fewer: limit). */
  total: number;
}

export interface MarketStatusRow {
  region: Region;
  /** The latest interval end. */
  time: number;
  rrp: number;
  /** AEMO's PRICE_STATUS: 'firm' once the price is final; null where the store has no status (the demo). */
  priceStatus: 'firm' | 'not firm' | null;
  /** Administered pricing in force (APCFLAG); null where unknown. */
  administered: boolean | null;
  /** Market suspended (MARKETSUSPENDEDFLAG); null where unknown. */
  suspended: boolean | null;
  /** Cumulative price, $: AEMO's CUMUL_PRE_AP_ENERGY_PRICE where stored, else the sum of the stored prices. */
  cumulativePrice: number;
  cumulativeSource: 'aemo' | 'computed';
  /** Intervals the computed sum adds (up to 2,016; fewer at the start of the store). */
  cumulativeIntervals: number;
  /** cumulativePrice ÷ the threshold. */
  cumulativeShare: number;
}
export interface MarketStatus {
  threshold: number;
  priceCap: number;
  rows: MarketStatusRow[];
}

// ---- cursors ----

/** Cursor values per interval: an event's rank within its interval is below this. */
const PER_INTERVAL = 2 ** 30;
/** Ranks below this are notices' (by id); interval events' ranks follow. */
const NOTICE_RANKS = 2 ** 29;
/** Cursors below this are not cursors of events (intervals before 1979): the per-store numbering of old versions. */
export const MIN_CURSOR = 2 ** 20 * PER_INTERVAL;

/**
 * An event's cursor: (the interval it belongs to) × 2^30 + its rank there, a function of the event alone, so every
 * replica that ingested the same files numbers it alike, and `since` means "the events after this one" everywhere.
 * An interval's event belongs to its interval, ranked by type, region and level. A notice belongs to the interval
 * after the one it was created in, ranked before that interval's events by its id: it is committed when its file
 * arrives, before or after its own interval's prices, and placing it an interval later keeps a notice published up to
 * ~5 minutes late in order (a later one sorts before events already sent; README). Below 2^53 until 2049.
 */
export function eventCursor(e: Pick<AlertEvent, 'type' | 'region' | 'time' | 'level' | 'notice'>): number {
  if (e.notice) {
    const interval = Math.ceil(e.time / 300) + 1;
    return interval * PER_INTERVAL + (((e.notice.id % NOTICE_RANKS) + NOTICE_RANKS) % NOTICE_RANKS);
  }
  const region = e.region === null ? REGIONS.length : REGIONS.indexOf(e.region);
  const level = e.type === 'price.above' ? (PRICE_LEVELS as readonly (number | null)[]).indexOf(e.level) + 1 : 0;
  const rank = NOTICE_RANKS + (ALERT_TYPES.indexOf(e.type) * 8 + region) * 8 + level;
  return Math.ceil(e.time / 300) * PER_INTERVAL + rank;
}

/** The interval end (epoch s) a cursor belongs to. */
export const cursorInterval = (cursor: number): number => Math.floor(cursor / PER_INTERVAL) * 300;

// ---- rules ----

export const CONDITIONS = [
  'price.above',
  'price.negative',
  'price.record',
  'demand.record',
  'market.administered',
  'market.suspended',
  'notice.lor',
  'notice.reserve',
  'notice.any',
] as const;
export type Condition = (typeof CONDITIONS)[number];

export interface AlertRule {
  region: RegionChoice;
  condition: Condition;
  /** price.above: one of PRICE_LEVELS; notice.lor: the lowest LOR level (1–3); absent otherwise. */
  threshold?: number;
}

export const MAX_RULES = 16;

/** Whether `e` is what `rule` asks for. An event of no region (a market-wide notice) concerns every region. */
export function ruleMatches(rule: AlertRule, e: AlertEvent): boolean {
  if (rule.region !== 'NEM' && e.region !== null && e.region !== rule.region) return false;
  const n = e.notice;
  switch (rule.condition) {
    case 'price.above':
      return e.type === 'price.above' && e.level === rule.threshold;
    case 'market.administered':
      return e.type === 'market.administered' || n?.category === 'administered';
    case 'market.suspended':
      return e.type === 'market.suspended' || n?.category === 'suspension';
    case 'notice.lor':
      return n !== null && n.lor !== null && n.lor >= (rule.threshold ?? 1);
    case 'notice.reserve':
      return n !== null && (n.category === 'lor' || n.category === 'reserve');
    case 'notice.any':
      return n !== null;
    default:
      return e.type === rule.condition;
  }
}

/** Whether any rule asks for `e` (no rules: every event). */
export const rulesMatch = (rules: readonly AlertRule[], e: AlertEvent): boolean =>
  rules.length === 0 || rules.some((r) => ruleMatches(r, e));

const RULE_TEXT = /^([A-Z0-9]{2,4}):([a-z.]{4,24})(?::(-?\d{1,6}))?$/i;

/** One rule from a map `{region, condition, threshold}` or the text `REGION:condition[:threshold]`. */
function parseRule(raw: unknown): AlertRule | string {
  let r: Record<string, unknown>;
  if (typeof raw === 'string') {
    const m = RULE_TEXT.exec(raw.trim());
    if (!m) return `rule ${JSON.stringify(raw.slice(0, 40))} is not REGION:condition[:threshold]`;
    r = { region: m[1].toUpperCase(), condition: m[2], ...(m[3] !== undefined && { threshold: Number(m[3]) }) };
  } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) r = raw as Record<string, unknown>;
  else return 'each rule must be a map {region, condition, threshold} or the text REGION:condition[:threshold]';
  for (const k of Object.keys(r))
    if (k !== 'region' && k !== 'condition' && k !== 'threshold')
      return `a rule has region, condition and threshold, not ${JSON.stringify(k.slice(0, 20))}`;
  const where = r.region ?? 'NEM';
  if (typeof where !== 'string' || !(REGION_CHOICES as readonly string[]).includes(where))
    return `a rule's region must be one of ${REGION_CHOICES.join(' ')}`;
  const condition = r.condition;
  if (typeof condition !== 'string' || !(CONDITIONS as readonly string[]).includes(condition))
    return `a rule's condition must be one of ${CONDITIONS.join(' ')}`;
  const t = r.threshold;
  const rule: AlertRule = { region: where as RegionChoice, condition: condition as Condition };
  if (condition === 'price.above') {
    if (typeof t !== 'number' || !(PRICE_LEVELS as readonly number[]).includes(t))
      return `price.above needs a threshold, one of ${PRICE_LEVELS.join(' ')} ($/MWh)`;
    rule.threshold = t;
  } else if (condition === 'notice.lor') {
    if (t !== undefined && (typeof t !== 'number' || ![1, 2, 3].includes(t)))
      return 'notice.lor takes a threshold of 1, 2 or 3 (the lowest LOR level)';
    rule.threshold = (t as number | undefined) ?? 1;
  } else if (t !== undefined) return `${condition} takes no threshold`;
  return rule;
}

const ruleOrder = (a: AlertRule, b: AlertRule) =>
  a.region.localeCompare(b.region) || a.condition.localeCompare(b.condition) || (a.threshold ?? 0) - (b.threshold ?? 0);

/**
 * The `rules` parameter: a list of rules (maps or texts) or one comma-separated text, at most MAX_RULES; canonical
 * as sorted, without repeats. None: every event.
 */
export function parseRules(value: unknown): Parsed<AlertRule[]> {
  if (value === undefined) return { ok: true, value: [] };
  const list = typeof value === 'string' ? value.split(',').filter((s) => s.trim() !== '') : value;
  if (!Array.isArray(list)) return { ok: false, message: 'must be a list of rules' };
  if (list.length > MAX_RULES) return { ok: false, message: `holds at most ${MAX_RULES} rules` };
  const out = new Map<string, AlertRule>();
  for (const raw of list) {
    const r = parseRule(raw);
    if (typeof r === 'string') return { ok: false, message: r };
    out.set(`${r.region}|${r.condition}|${r.threshold ?? ''}`, r);
  }
  return { ok: true, value: [...out.values()].sort(ruleOrder) };
}

const rules = {
  type: 'custom',
  parse: parseRules,
  describe: `up to ${MAX_RULES} rules REGION:condition[:threshold]`,
} as const;
const types = { type: 'enumList', values: ALERT_TYPES, default: ALERT_TYPES } as const;

export const ALERTS = {
  'market.status': {
    about:
      "Each region's latest interval: AEMO's price status (firm or not), administered pricing and market suspension flags (unknown for the demo), and the cumulative price over the last 2,016 intervals (7 days) against the cumulative price threshold ($1,823,600 in FY2025-26): AEMO's own figure where the files carry it, else the sum of the stored prices.",
    params: { region },
    result: returns<MarketStatus>(),
  },
  alerts: {
    about:
      'Market events as they are committed: the price reaching $300, $1,000, $5,000, $10,000 or the cap (once, until it falls 10% below the level), negative prices (once, until back at $10), new highest price and demand of the stored history, administered pricing and suspension, and AEMO market notices (LOR1–3, reserve). Subscribe with rules; `since` replays what was missed.',
    params: { rules },
    result: returns<AlertsAnswer>(),
    uncached: true,
  },
  'alerts.history': {
    about: 'Past market events in the window, newest first, by region and type (at most `limit`).',
    params: { regions, types, ...timeParams, limit: { type: 'int', min: 1, max: 1000, default: 200 } },
    result: returns<AlertsHistory>(),
    uncached: true,
  },
} as const satisfies Contracts;
export type AlertsKind = keyof typeof ALERTS;

/** Regions in their fixed order (the status rows' order). */
export const byRegionOrder = (a: { region: Region }, b: { region: Region }) =>
  REGIONS.indexOf(a.region) - REGIONS.indexOf(b.region);
