// Every query kind, defined once: its name and parameter schema. Validation, canonical cache keys,
// the warmup list, client types and the README table all derive from this file.
import { FUELS, REGIONS, REGION_CHOICES } from './nem.ts';

export const RANGES = ['24h', '7d', '30d', '90d', '1y', 'all'] as const;
export type RangePreset = (typeof RANGES)[number];
export const RANGE_SECONDS: Record<Exclude<RangePreset, 'all'>, number> = {
  '24h': 86400,
  '7d': 7 * 86400,
  '30d': 30 * 86400,
  '90d': 90 * 86400,
  '1y': 365 * 86400,
};
export const RESOLUTIONS = ['5m', '30m', '1d', 'auto'] as const;
export type Resolution = Exclude<(typeof RESOLUTIONS)[number], 'auto'>;
export const RESOLUTION_SECONDS: Record<Resolution, number> = { '5m': 300, '30m': 1800, '1d': 86400 };

export type ParamSpec =
  | { type: 'enum'; values: readonly string[]; default?: string }
  | { type: 'enumList'; values: readonly string[]; default: readonly string[] }
  | { type: 'epoch' }
  | { type: 'int'; min: number; max: number; default: number }
  | { type: 'string'; maxLength: number; default?: string };

const region = { type: 'enum', values: REGION_CHOICES, default: 'NEM' } as const;
const regions = { type: 'enumList', values: REGIONS, default: REGIONS } as const;
const fuels = { type: 'enumList', values: FUELS, default: FUELS } as const;
const range = { type: 'enum', values: RANGES, default: '24h' } as const;
const epoch = { type: 'epoch' } as const;
const resolution = { type: 'enum', values: RESOLUTIONS, default: 'auto' } as const;
const timeParams = { range, from: epoch, to: epoch } as const;
const seriesParams = { ...timeParams, resolution } as const;
const unitParams = { duid: { type: 'string', maxLength: 32 }, station: { type: 'string', maxLength: 120 } } as const;

export const KINDS = {
  'prices.current': {},
  'prices.history': { regions, ...seriesParams },
  'prices.stats': { regions, ...timeParams },
  'prices.bands': { regions, ...timeParams },
  'prices.timeOfDay': { regions, ...timeParams },
  'generation.byFuel': { region, ...seriesParams },
  'generation.timeOfDay': { region, ...timeParams },
  'generation.mix': { region },
  'renewables.share': { region, ...seriesParams },
  'capacity.utilisation': { region, ...seriesParams },
  'stations.search': {
    q: { type: 'string', maxLength: 64, default: '' },
    region,
    limit: { type: 'int', min: 1, max: 500, default: 50 },
  },
  'station.output': { ...unitParams, ...seriesParams },
  'stations.table': { regions, fuels, ...timeParams },
  'interconnectors.flows': { region, ...seriesParams },
  'tab.nem': { region },
  'tab.generation': { region, ...seriesParams },
  'tab.prices': { regions, ...seriesParams },
  'tab.stations': { region, ...unitParams, ...seriesParams },
  'tab.generators': { regions, fuels, ...timeParams },
} as const satisfies Record<string, Record<string, ParamSpec>>;

export type Kind = keyof typeof KINDS;
export const KIND_NAMES = Object.keys(KINDS) as Kind[];
export const TAB_KINDS = KIND_NAMES.filter((k) => k.startsWith('tab.'));

type ValueOf<S> = S extends { type: 'enum'; values: readonly (infer V)[] }
  ? V
  : S extends { type: 'enumList'; values: readonly (infer V)[] }
    ? V[]
    : S extends { type: 'epoch' }
      ? number | undefined
      : S extends { type: 'int' }
        ? number
        : S extends { type: 'string'; default: string }
          ? string
          : string | undefined;
/** The validated, canonical parameters of a kind: defaults filled, lists sorted and de-duplicated. */
export type ParamsOf<K extends Kind> = { -readonly [P in keyof (typeof KINDS)[K]]: ValueOf<(typeof KINDS)[K][P]> };

export type Validated<K extends Kind = Kind> =
  { ok: true; kind: K; params: ParamsOf<K> } | { ok: false; message: string };

export function isKind(kind: unknown): kind is Kind {
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind);
}

const MAX_SPAN_S = 20 * 365 * 86400;
const MIN_EPOCH = 946684800; // 2000-01-01: the NEM has no 5-minute data before it
const MAX_EPOCH = 4102444800; // 2100-01-01

/** Checks `raw` against the kind's schema; the result is canonical, so equal queries give equal keys. */
export function validateParams<K extends Kind>(kind: K, raw: unknown): Validated<K> {
  const schema: Record<string, ParamSpec> = KINDS[kind];
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: 'params must be a map' };
  const input = raw as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(schema, name)) {
      const known = Object.keys(schema);
      return {
        ok: false,
        message: `unknown parameter "${name.slice(0, 40)}" for ${kind}; expected ${known.length ? known.join(', ') : 'none'}`,
      };
    }
  }
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema).sort()) {
    const spec = schema[name];
    const value = input[name];
    const checked = checkValue(name, spec, value);
    if (checked instanceof ParamError) return { ok: false, message: checked.message };
    if (checked !== undefined) out[name] = checked;
  }
  const crossError = checkTogether(kind, out);
  if (crossError) return { ok: false, message: crossError };
  return { ok: true, kind, params: out as ParamsOf<K> };
}

class ParamError {
  constructor(readonly message: string) {}
}

function checkValue(name: string, spec: ParamSpec, value: unknown): unknown {
  switch (spec.type) {
    case 'enum':
      if (value === undefined) return spec.default;
      if (typeof value !== 'string' || !spec.values.includes(value))
        return new ParamError(`${name} must be one of ${spec.values.join(' ')}`);
      return value;
    case 'enumList': {
      if (value === undefined) return [...spec.default];
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || list.length === 0 || list.length > spec.values.length * 2)
        return new ParamError(`${name} must be a non-empty list drawn from ${spec.values.join(' ')}`);
      for (const v of list)
        if (typeof v !== 'string' || !spec.values.includes(v))
          return new ParamError(`${name} must only contain ${spec.values.join(' ')}`);
      // Canonical order is the schema's own order, so ["SA1","NSW1"] and ["NSW1","SA1"] share a cache entry.
      return spec.values.filter((v) => list.includes(v));
    }
    case 'epoch':
      if (value === undefined) return undefined;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_EPOCH || value > MAX_EPOCH)
        return new ParamError(`${name} must be whole epoch seconds between ${MIN_EPOCH} and ${MAX_EPOCH}`);
      return value;
    case 'int':
      if (value === undefined) return spec.default;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max)
        return new ParamError(`${name} must be a whole number from ${spec.min} to ${spec.max}`);
      return value;
    case 'string':
      if (value === undefined) return spec.default;
      if (typeof value !== 'string' || value.length > spec.maxLength)
        return new ParamError(`${name} must be a string of at most ${spec.maxLength} characters`);
      return value.trim();
  }
}

function checkTogether(kind: Kind, p: Record<string, unknown>): string | undefined {
  if ('from' in p || 'to' in p) {
    if (p.from === undefined || p.to === undefined) return 'from and to must be given together';
    if ((p.from as number) >= (p.to as number)) return 'from must be before to';
    if ((p.to as number) - (p.from as number) > MAX_SPAN_S) return 'from..to spans more than 20 years';
    delete p.range; // an explicit window replaces the relative preset
  }
  if (kind === 'station.output' && !p.duid === !p.station) return 'give exactly one of duid or station';
  if (kind === 'station.output' && p.duid === '') return 'duid must not be empty';
  return undefined;
}

/** A window of time, (from, to]: interval-ending timestamps strictly after `from` up to and including `to`. */
export interface Window {
  from: number;
  to: number;
}

/** Resolves a relative preset against the data watermark (never the wall clock) or takes from/to as given. */
export function resolveWindow(
  p: { range?: RangePreset; from?: number; to?: number },
  watermark: number,
  firstTs: number,
): Window {
  if (p.from !== undefined && p.to !== undefined) return { from: p.from, to: p.to };
  const preset = p.range ?? '24h';
  if (preset === 'all') return { from: firstTs - INTERVAL_BEFORE_FIRST, to: watermark };
  return { from: watermark - RANGE_SECONDS[preset], to: watermark };
}
const INTERVAL_BEFORE_FIRST = 300;

/** `auto` keeps a series under a few thousand points: 5-minute up to ~8 days, 30-minute up to ~92 days, daily beyond. */
export function pickResolution(requested: string | undefined, w: Window): Resolution {
  if (requested && requested !== 'auto') return requested as Resolution;
  const span = w.to - w.from;
  if (span <= 8 * 86400) return '5m';
  if (span <= 92 * 86400) return '30m';
  return '1d';
}

/** Canonical cache key: kind, canonical params, and the watermark the answer depends on. */
export function cacheKey(kind: Kind, params: object, watermark: number): string {
  return `${kind}|${JSON.stringify(params)}|${watermark}`;
}
