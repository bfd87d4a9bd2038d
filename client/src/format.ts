// Number formats shared by tables, legends and axes. Tabular figures come from CSS (font-variant-numeric).
const int = new Intl.NumberFormat('en-AU', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-AU', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const two = new Intl.NumberFormat('en-AU', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat('en-AU', { notation: 'compact', maximumFractionDigits: 1 });

const missing = (v: number | null | undefined): v is null | undefined =>
  v === null || v === undefined || Number.isNaN(v);

export const fmtInt = (v: number | null | undefined) => (missing(v) ? '–' : int.format(v));
export const fmtMw = (v: number | null | undefined) => (missing(v) ? '–' : `${int.format(v)} MW`);
export const fmtGwh = (v: number | null | undefined) =>
  missing(v) ? '–' : Math.abs(v) < 10 ? two.format(v) : one.format(v);
export const fmtPct = (v: number | null | undefined) => (missing(v) ? '–' : `${one.format(v)}%`);
/** $/MWh with cents: prices are quoted to the cent. */
export const fmtPrice = (v: number | null | undefined) =>
  missing(v) ? '–' : `${v < 0 ? '−' : ''}$${two.format(Math.abs(v))}`;
/** Revenue: $1.2M, $350K. */
export const fmtMoney = (v: number | null | undefined) =>
  missing(v) ? '–' : `${v < 0 ? '−' : ''}$${compact.format(Math.abs(v))}`;

/** Emissions: 1.2M t, 350K t. */
export const fmtTonnes = (v: number | null | undefined) => (missing(v) ? '–' : `${compact.format(v)} t`);
/** Emissions intensity, t CO2-e per MWh, to the kilogram. */
export const fmtIntensity = (v: number | null | undefined) => (missing(v) ? '–' : `${v.toFixed(3)} t/MWh`);

/** Axis tick labels: short, with k for thousands. */
export function fmtAxis(v: number): string {
  const a = Math.abs(v);
  if (a >= 10000) return `${compact.format(v)}`;
  if (a >= 100 || Number.isInteger(v)) return int.format(v);
  return a >= 1 ? one.format(v) : two.format(v);
}

/** A value with its unit, for legends: "1,234 MW", "$84.12/MWh", "41.0%". */
export function fmtWithUnit(v: number | null | undefined, unit: string): string {
  if (missing(v)) return '–';
  if (unit === '$/MWh') return `${fmtPrice(v)}`;
  if (unit === '%') return fmtPct(v);
  if (unit === 'MW') return fmtMw(v);
  return `${Math.abs(v) >= 100 ? int.format(v) : two.format(v)} ${unit}`.trim();
}
