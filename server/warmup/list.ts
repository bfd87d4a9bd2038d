// The queries warmup computes, derived from the kind schemas (shared/kinds.ts), never listed by hand:
// every tab kind × region × range preset, then every other kind that needs no choice from the user, per region,
// at its default range. A kind with a required parameter (station.output needs a unit) is left out by validation,
// and so is a kind never cached (shared/kinds.ts UNCACHED).
import {
  isTabKind,
  KIND_NAMES,
  KINDS,
  RANGES,
  TAB_KINDS,
  UNCACHED,
  validateParams,
  type Kind,
  type ParamSpec,
  type ParamsOf,
} from '../../shared/kinds.ts';
import { queryOf } from '../cache/key.ts';

export interface WarmQuery {
  kind: Kind;
  params: ParamsOf<Kind>;
}

/** Every tab kind × region × range preset, then the common kinds; the likeliest first (default range, tabs). */
export function warmList(): WarmQuery[] {
  const out: WarmQuery[] = [];
  const add = (kind: Kind, raw: Record<string, unknown>) => {
    const v = validateParams(kind, raw);
    if (v.ok) out.push({ kind, params: v.params as ParamsOf<Kind> });
  };
  // An uncached kind (alerts) would be computed and thrown away.
  const commonKinds = KIND_NAMES.filter((k) => !isTabKind(k) && !UNCACHED.has(k));
  const defaultRange = rangeDefault();
  const rangesFirstDefault = [defaultRange, ...RANGES.filter((r) => r !== defaultRange)];
  for (const range of rangesFirstDefault) {
    for (const kind of TAB_KINDS) for (const raw of regionChoices(kind)) add(kind, withRange(kind, raw, range));
    if (range === defaultRange) for (const kind of commonKinds) for (const raw of regionChoices(kind)) add(kind, raw);
  }
  return uniqueQueries(out);
}

/** Each question once (by its `queryOf` id, the cache key without the watermark), in order, the first kept. */
export function uniqueQueries(queries: readonly WarmQuery[]): WarmQuery[] {
  const seen = new Set<string>();
  return queries.filter((q) => {
    const id = queryOf(q.kind, q.params);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The region dimension of a kind: each choice of `region`, or for a `regions` list all of them and each alone. */
function regionChoices(kind: Kind): Record<string, unknown>[] {
  const schema: Record<string, ParamSpec> = KINDS[kind];
  const region = schema.region;
  if (region?.type === 'enum') return region.values.map((r) => ({ region: r }));
  const regions = schema.regions;
  if (regions?.type === 'enumList') return [{}, ...regions.values.map((r) => ({ regions: [r] }))];
  return [{}];
}

function withRange(kind: Kind, raw: Record<string, unknown>, range: string): Record<string, unknown> {
  const schema: Record<string, ParamSpec> = KINDS[kind];
  return schema.range ? { ...raw, range } : raw;
}

function rangeDefault(): string {
  for (const kind of KIND_NAMES) {
    const spec = (KINDS[kind] as Record<string, ParamSpec>).range;
    if (spec?.type === 'enum' && spec.default) return spec.default;
  }
  return RANGES[0];
}
