// Revisions of past data, and which cached answers they retire. The market's generation string is the store's
// generation (server/store/version.ts), `r<n>` once per revision that may have changed any answer (a new emission
// factor), then `~<id>@<lo>:<hi>` per revision since that names the intervals it rewrote (a backfilled month, a late
// file). A cache key carries only the part its answer can see: the revisions whose span meets the intervals the answer
// reads (keySpan, widened by SPAN_MARGIN_S), so a backfill of 2025 leaves the last 24 hours' answers cached, and an
// answer whose reach is not known from its params (no range, `all`, a window near the first interval) sees them all.
// The string travels as it is (cluster workers, pushes), and a key's part only ever moves forward: a revision gets a
// new id, and merging spans (at most MAX_SPANS kept) only widens them.
import { isTabKind, resolveWindow, type Kind, type ParamsOf, type RangePreset } from '../../shared/kinds.ts';
import { tabPanels } from '../catalogue/tabs.ts';
import { FLEET_NOW_READS_S } from '../../shared/kinds/batteries.ts';

/** Interval-end times (epoch s) a revision rewrote, both inclusive. */
export interface RevisedSpan {
  minTs: number;
  maxTs: number;
}

interface Entry {
  id: number;
  lo: number;
  hi: number;
}

interface Parsed {
  /** The store's generation and its revisions of unknown reach. */
  head: string;
  spans: Entry[];
}

/**
 * How far past its own window an answer may read: daily buckets read whole NEM days, a rooftop value is carried two
 * hours forward, and a revision's rollups reach a day either side.
 */
export const SPAN_MARGIN_S = 2 * 86400;
/** Spans kept; past this the two oldest merge (a key they retire is then retired a little early, never late). */
export const MAX_SPANS = 16;
const ENTRY = /~(\d+)@(-?\d+):(-?\d+)/g;

function parse(generation: string): Parsed {
  const cut = generation.indexOf('~');
  if (cut < 0) return { head: generation, spans: [] };
  const spans = [...generation.slice(cut).matchAll(ENTRY)].map((m) => ({ id: +m[1], lo: +m[2], hi: +m[3] }));
  return { head: generation.slice(0, cut), spans };
}

const render = (p: Parsed) => p.head + p.spans.map((e) => `~${e.id}@${e.lo}:${e.hi}`).join('');

/** The revision count a generation holds (its last id), for the next revision's id. */
function lastId(p: Parsed): number {
  const global = /r(\d+)$/.exec(p.head);
  return Math.max(global ? Number(global[1]) : 0, ...p.spans.map((e) => e.id));
}

/** The revision count a generation holds (its last id). */
export const revisionId = (generation: string): number => lastId(parse(generation));

/**
 * The generation after one more revision: of `span`, or of unknown reach (every key moves on) without one. Its id is
 * above `after` too (ids a stage took: Market.reserveRevision).
 */
export function withRevision(generation: string, span?: RevisedSpan, after = 0): string {
  const p = parse(generation);
  const id = Math.max(lastId(p), after) + 1;
  // Of unknown reach: it is the latest revision every key sees, so the spans before it name nothing any more.
  if (!span || !Number.isFinite(span.minTs) || !Number.isFinite(span.maxTs))
    return `${p.head.replace(/r\d+$/, '')}r${id}`;
  const spans = [...p.spans, { id, lo: Math.floor(span.minTs), hi: Math.ceil(span.maxTs) }];
  while (spans.length > MAX_SPANS) {
    const [a, b] = spans.splice(0, 2);
    spans.unshift({ id: b.id, lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) });
  }
  return render({ head: p.head, spans });
}

/**
 * Kinds whose answer also reads back this far from the watermark, whatever its window (batteries.fleet's `now`): it
 * follows the watermark even over a past window (server/cache/key.ts never fixes its key), and its span reaches it.
 */
export const READS_LATEST: Partial<Record<Kind, number>> = { 'batteries.fleet': FLEET_NOW_READS_S };

/** The intervals an answer may read, widened by SPAN_MARGIN_S; null when its params do not bound them. */
export function keySpan<K extends Kind>(
  kind: K,
  params: ParamsOf<K>,
  watermark: number,
  firstTs: number | undefined,
): { lo: number; hi: number } | null {
  if (firstTs === undefined) return null;
  if (isTabKind(kind)) {
    const panels = tabPanels(kind, params);
    if (!panels) return null;
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of panels) {
      const s = keySpan(x.kind, x.params, watermark, firstTs);
      if (!s) return null;
      lo = Math.min(lo, s.lo);
      hi = Math.max(hi, s.hi);
    }
    return { lo, hi };
  }
  const p = params as { range?: RangePreset; from?: unknown; to?: unknown };
  const explicit = typeof p.from === 'number' && typeof p.to === 'number';
  if (!explicit && (typeof p.range !== 'string' || p.range === 'all')) return null;
  const w = resolveWindow(p as { range?: RangePreset; from?: number; to?: number }, watermark, firstTs);
  const latest = READS_LATEST[kind];
  const from = latest === undefined ? w.from : Math.min(w.from, watermark - latest);
  const lo = from - SPAN_MARGIN_S;
  // A window reaching back to the first interval is clamped there: its answer moves with the first interval.
  if (lo <= firstTs) return null;
  return { lo, hi: (latest === undefined ? w.to : Math.max(w.to, watermark)) + SPAN_MARGIN_S };
}

/**
 * The current generation parsed, and the parts already worked out at one (generation, watermark, first interval) by
 * question: a cached answer's key is made on every request, and a tab's span takes a validation per panel (8 µs a tab
 * key against 2.6 µs without spans, measured). Bounded: cleared when it grows past SEEN_MAX.
 */
let seen: { at: string; parsed: Parsed; byQuery: Map<string, string> } | undefined;
const SEEN_MAX = 10_000;

/**
 * The part of `generation` a key's answer sees: its head, and the latest revision whose span meets the key's. `query`
 * (the question's kind and canonical params, as server/cache/key.ts writes it) lets a repeated question skip the work.
 */
export function keyGeneration<K extends Kind>(
  generation: string,
  kind: K,
  params: ParamsOf<K>,
  watermark: number,
  firstTs: number | undefined,
  query?: string,
): string {
  if (!generation.includes('~')) return generation;
  const at = `${generation}|${watermark}|${firstTs}`;
  if (seen?.at !== at || seen.byQuery.size >= SEEN_MAX)
    seen = { at, parsed: seen?.at.startsWith(`${generation}|`) ? seen.parsed : parse(generation), byQuery: new Map() };
  const known = query === undefined ? undefined : seen.byQuery.get(query);
  if (known !== undefined) return known;
  const { head, spans } = seen.parsed;
  const span = keySpan(kind, params, watermark, firstTs);
  let id = 0;
  for (const e of spans) if (!span || (e.lo <= span.hi && span.lo <= e.hi)) id = Math.max(id, e.id);
  const part = id === 0 ? head : `${head}~${id}`;
  if (query !== undefined) seen.byQuery.set(query, part);
  return part;
}
