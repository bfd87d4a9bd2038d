// Facts about the NEM that server, client and scripts share: regions, fuels, colours and NEM time.

export const REGIONS = ['NSW1', 'QLD1', 'VIC1', 'SA1', 'TAS1'] as const;
export type Region = (typeof REGIONS)[number];
/** A region parameter: one of the five market regions, or the whole NEM. */
export const REGION_CHOICES = [...REGIONS, 'NEM'] as const;
export type RegionChoice = (typeof REGION_CHOICES)[number];
/** The market regions a region choice covers: all five for the NEM. */
export const regionsIn = (choice: RegionChoice): Region[] => (choice === 'NEM' ? [...REGIONS] : [choice]);

export const REGION_NAMES: Record<RegionChoice, string> = {
  NSW1: 'New South Wales',
  QLD1: 'Queensland',
  VIC1: 'Victoria',
  SA1: 'South Australia',
  TAS1: 'Tasmania',
  NEM: 'NEM',
};

/** Rooftop PV sub-regions AEMO publishes alongside their parents; never summed into them. */
export const ROOFTOP_SUBREGIONS = ['QLDC', 'QLDN', 'QLDS', 'TASN', 'TASS'] as const;
export type RooftopSubregion = (typeof ROOFTOP_SUBREGIONS)[number];

/** Fuel names, in the stacking order charts use (baseload at the bottom, net import on top). */
export const FUELS = [
  'Coal',
  'Gas',
  'Hydro',
  'Wind',
  'Solar',
  'Rooftop Solar',
  'Biomass',
  'Battery',
  'Other',
  'Transmission',
] as const;
export type Fuel = (typeof FUELS)[number];

/** Fuels that count as renewable in the one definition of renewable share (CONTRACT §4). */
export const RENEWABLE_FUELS: readonly Fuel[] = ['Wind', 'Solar', 'Rooftop Solar', 'Hydro', 'Biomass'];

export const FUEL_COLOURS: Record<Fuel, string> = {
  Coal: '#4a4a4a',
  Gas: '#e8743b',
  Hydro: '#2f7ed8',
  Wind: '#3cb371',
  Solar: '#f2c12e',
  'Rooftop Solar': '#ffe27a',
  Biomass: '#8d6e3f',
  Battery: '#9b59b6',
  Other: '#a0a0a0',
  Transmission: '#c0392b',
};

export const REGION_COLOURS: Record<RegionChoice, string> = {
  NSW1: '#1f77b4',
  QLD1: '#d62728',
  VIC1: '#2ca02c',
  SA1: '#ff7f0e',
  TAS1: '#17becf',
  NEM: '#555555',
};

/** Interconnectors: flow is positive from `from` to `to` (the first-named region to the second). */
export const INTERCONNECTORS = [
  { id: 'NSW1-QLD1', from: 'NSW1', to: 'QLD1' },
  { id: 'N-Q-MNSP1', from: 'NSW1', to: 'QLD1' },
  { id: 'VIC1-NSW1', from: 'VIC1', to: 'NSW1' },
  { id: 'V-SA', from: 'VIC1', to: 'SA1' },
  { id: 'V-S-MNSP1', from: 'VIC1', to: 'SA1' },
  { id: 'T-V-MNSP1', from: 'TAS1', to: 'VIC1' },
] as const satisfies readonly { id: string; from: Region; to: Region }[];
export type InterconnectorId = (typeof INTERCONNECTORS)[number]['id'];

/** NEM time is UTC+10 all year (no daylight saving). */
export const NEM_OFFSET_S = 10 * 3600;
export const INTERVAL_S = 300;
/** Start (NEM midnight, epoch s) of the NEM day holding the interval that ends at `ts`. */
export function dayOf(ts: number): number {
  return Math.floor((ts - INTERVAL_S + NEM_OFFSET_S) / 86400) * 86400 - NEM_OFFSET_S;
}
/** NEM hour of day (0..23) of the interval ending at `ts` (SQL: server/catalogue/columns.ts hourSql). */
export function hourOf(ts: number): number {
  return Math.floor(((((ts - INTERVAL_S + NEM_OFFSET_S) % 86400) + 86400) % 86400) / 3600);
}
/** The last whole 5-minute interval (its end, epoch s) at wall-clock time `nowMs`. */
export const lastWholeInterval = (nowMs: number): number => Math.floor(nowMs / 1000 / INTERVAL_S) * INTERVAL_S;

/** Epoch seconds → ISO-8601 in NEM time, e.g. 2026-04-01T00:05:00+10:00. */
export function toNemIso(epochS: number): string {
  return new Date((epochS + NEM_OFFSET_S) * 1000).toISOString().slice(0, 19) + '+10:00';
}

/** AEMO's "2026/04/01 00:05:00" (NEM time) → epoch seconds; NaN when it does not parse or names no real time. */
export function parseAemoTime(s: string): number {
  const m = /^"?(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})"?$/.exec(s.trim());
  if (!m) return NaN;
  const [y, mo, d, h, mi, se] = [+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]];
  if (h > 23 || mi > 59 || se > 59) return NaN;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  // Date.UTC rolls month 13 or 31 April over into the next; years below 100 mean 19xx to it.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return NaN;
  return date.getTime() / 1000 - NEM_OFFSET_S;
}
