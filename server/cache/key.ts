// Canonical cache keys. A key names the question (kind + canonical params, relative ranges by name) and the
// data it was answered from (the watermark), so a new interval changes every key that could change and no
// entry needs a TTL. A fixed window that ends before the watermark cannot change: its key omits it. Never a tab's (a
// tab may hold a panel that follows the watermark whatever the window: tab.prices' forecast is the newest run; its
// fixed panels keep fixed keys, so composing it again at a new interval is cache hits), nor a kind that also reads
// the latest data whatever its window (batteries.fleet's `now`: cache/generation.ts READS_LATEST). A preset that
// reaches back past the store's first interval is keyed as `all`: windows are clamped to the data held, so they
// answer alike.
import { isTabKind, resolveWindow, type Kind, type ParamsOf, type RangePreset } from '../../shared/kinds.ts';
import { keyGeneration, READS_LATEST } from './generation.ts';

export interface CacheKey<K extends Kind = Kind> {
  kind: K;
  params: ParamsOf<K>;
  /** The watermark (epoch seconds) the answer depends on; null for fixed past windows. */
  watermark: number | null;
  /** The question without the watermark: the same across intervals (for hot-entry refresh). */
  query: string;
  /** The full key, used by both tiers. */
  text: string;
}

export interface KeyOptions {
  /**
   * Names the store's contents beyond the watermark (e.g. a back-fill import changes past data without moving
   * the watermark). Empty by default. A key carries only the revisions its answer can see (cache/generation.ts).
   */
  generation?: string;
  /**
   * The store's first interval: a range preset whose window starts at or before it answers exactly as `all` does
   * (server/catalogue/window.ts dataWindow clamps every window to the data held; a one-year store's `1y` is its `all`),
   * so both share one key. Without it, every preset is its own key, and every revision in `generation` is seen.
   */
  firstTs?: number;
}

/**
 * Builds the key for validated params (shared/kinds.ts validateParams output). Params are re-serialised with
 * sorted names, so hand-built params in any order give the same key; list order must already be canonical.
 */
export function makeKey<K extends Kind>(
  kind: K,
  params: ParamsOf<K>,
  watermark: number,
  opts: KeyOptions = {},
): CacheKey<K> {
  const query = queryOf(kind, params);
  const fixed = !isTabKind(kind) && READS_LATEST[kind] === undefined && isFixedPast(params, watermark);
  const stamp = fixed ? 'fixed' : `w${watermark}`;
  const asked = opts.firstTs === undefined ? params : (wholeStore(params, watermark, opts.firstTs) as ParamsOf<K>);
  const answered = asked === params ? query : queryOf(kind, asked);
  const gen = opts.generation
    ? `g${keyGeneration(opts.generation, kind, asked, watermark, opts.firstTs, answered)}|`
    : '';
  return { kind, params, watermark: fixed ? null : watermark, query, text: `${gen}${answered}|${stamp}` };
}

/** `params` with a range preset that covers the whole store (first interval … watermark) named `all`. */
function wholeStore(params: object, watermark: number, firstTs: number): object {
  const p = params as { range?: RangePreset; from?: unknown };
  if (p.range === undefined || p.range === 'all' || p.from !== undefined) return params;
  const all = resolveWindow({ range: 'all' }, watermark, firstTs).from;
  return resolveWindow({ range: p.range }, watermark, firstTs).from <= all ? { ...params, range: 'all' } : params;
}

/** The question without the watermark: kind + canonical params (a cache key's `query`, a push group's key). */
export function queryOf(kind: Kind, params: object): string {
  return `${kind}|${canonicalJson(params)}`;
}

/**
 * An explicit from/to window whose answer can no longer change (barring a back-fill, which bumps the generation):
 * it ends a whole day before the watermark. `to < watermark` is not enough: a 30-minute or daily point covers its
 * whole bucket, and the bucket holding `to` keeps filling until the watermark passes its end.
 */
export function isFixedPast(params: object, watermark: number): boolean {
  const p = params as { from?: unknown; to?: unknown };
  return typeof p.from === 'number' && typeof p.to === 'number' && p.to + FIXED_AFTER_S <= watermark;
}
const FIXED_AFTER_S = 86400;

/** JSON with object members in sorted order and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const name of Object.keys(obj).sort()) {
    if (obj[name] === undefined) continue;
    parts.push(`${JSON.stringify(name)}:${canonicalJson(obj[name])}`);
  }
  return `{${parts.join(',')}}`;
}
