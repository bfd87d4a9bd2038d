// Time in a query: relative range presets, resolutions, and how both resolve against the data watermark.
export const RANGES = ['24h', '7d', '30d', '90d', '1y', 'all'] as const;
export type RangePreset = (typeof RANGES)[number];
const RANGE_SECONDS: Record<Exclude<RangePreset, 'all'>, number> = {
  '24h': 86400,
  '7d': 7 * 86400,
  '30d': 30 * 86400,
  '90d': 90 * 86400,
  '1y': 365 * 86400,
};
export const RESOLUTIONS = ['5m', '30m', '1d', 'auto'] as const;
export type Resolution = Exclude<(typeof RESOLUTIONS)[number], 'auto'>;
export const RESOLUTION_SECONDS: Record<Resolution, number> = { '5m': 300, '30m': 1800, '1d': 86400 };

/** A window of time, (from, to]: interval-ending timestamps strictly after `from` up to and including `to`. */
interface Window {
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

/** `auto` keeps a series under a few thousand points: 5-minute up to ~8 days, 30-minute up to ~92, daily beyond. */
export function pickResolution(requested: string | undefined, w: Window): Resolution {
  if (requested && requested !== 'auto') return requested as Resolution;
  const span = w.to - w.from;
  if (span <= 8 * 86400) return '5m';
  if (span <= 92 * 86400) return '30m';
  return '1d';
}
