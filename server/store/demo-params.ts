// The demo's fixed choices: where it ends, the seed, and per-region / per-interconnector figures taken from
// ../shared/NEM-FACTS.md (sources there) or calibrated so the generated year reproduces those figures.
import type { InterconnectorId, Region, RooftopSubregion } from '../../shared/nem.ts';

/** The demo always ends at 2026-10-31 24:00 NEM time (= 2026-11-01T00:00+10:00), so every build is identical. */
export const DEMO_WATERMARK = Date.UTC(2026, 9, 31, 14, 0, 0) / 1000;
export const DEFAULT_DEMO_SEED = 20261031;

export interface RegionParams {
  region: Region;
  /** Mean underlying demand (operational + rooftop) MW: FACTS §1 averages plus the rooftop they hide. */
  demand: number;
  /** Rooftop PV MW installed (FACTS §2, grown to late 2026). */
  roofCap: number;
  /** Solar noon in NEM time (hours): later in the west, since NEM time is UTC+10 everywhere. */
  noon: number;
  /** Day length swing (± hours around 12) between solstices: larger further south. */
  dayLen: number;
  /** Share of the midday peak lost at midwinter (lower sun). */
  winterLoss: number;
  /** Wind: mean capacity factor, extra CF at night vs midday, seasonal swing (+ = Aug-heavy), front lag in hours. */
  windCf: number;
  windNight: number;
  windSeason: number;
  windLag: number;
  /** Demand sensitivity to winter heating and to summer heat (as fractions of demand). */
  heat: number;
  cool: number;
  /** Hydro run as base load (share of hydro capacity), and the share of flexible need hydro takes before gas. */
  hydroBase: number;
  hydroShare: number;
  /** Gas kept on regardless (system strength, CSG field plants), MW. */
  gasMin: number;
  /** Coal minimum stable level, and how far coal runs above local need (exporters), as shares of available coal. */
  coalMin: number;
  coalPush: number;
  /** Chance per day of a price event (unit trip, heatwave, network outage) near the evening peak. */
  eventRate: number;
}

export const REGION_PARAMS: readonly RegionParams[] = [
  {
    region: 'NSW1',
    demand: 8700,
    roofCap: 7600,
    noon: 11.95,
    dayLen: 2.2,
    winterLoss: 0.35,
    windCf: 0.27,
    windNight: 0.12,
    windSeason: 0.1,
    windLag: 16,
    heat: 0.08,
    cool: 0.1,
    hydroBase: 0.05,
    hydroShare: 0.6,
    gasMin: 120,
    coalMin: 0.35,
    coalPush: 0,
    eventRate: 0.05,
  },
  {
    region: 'QLD1',
    demand: 7250,
    roofCap: 7000,
    noon: 11.85,
    dayLen: 1.6,
    winterLoss: 0.22,
    windCf: 0.31,
    windNight: 0.26,
    windSeason: 0.0,
    windLag: 24,
    heat: 0.0,
    cool: 0.14,
    hydroBase: 0.04,
    hydroShare: 0.3,
    gasMin: 150,
    coalMin: 0.35,
    coalPush: 0.08,
    eventRate: 0.05,
  },
  {
    region: 'VIC1',
    demand: 5450,
    roofCap: 5600,
    noon: 12.35,
    dayLen: 2.6,
    winterLoss: 0.45,
    windCf: 0.27,
    windNight: 0.12,
    windSeason: 0.25,
    windLag: 8,
    heat: 0.12,
    cool: 0.1,
    hydroBase: 0.05,
    hydroShare: 0.4,
    gasMin: 80,
    coalMin: 0.5,
    coalPush: 0.15,
    eventRate: 0.04,
  },
  {
    region: 'SA1',
    demand: 1650,
    roofCap: 2600,
    noon: 12.6,
    dayLen: 2.4,
    winterLoss: 0.4,
    windCf: 0.28,
    windNight: 0.12,
    windSeason: 0.25,
    windLag: 0,
    heat: 0.06,
    cool: 0.14,
    hydroBase: 0,
    hydroShare: 0.05,
    gasMin: 150,
    coalMin: 0,
    coalPush: 0,
    eventRate: 0.06,
  },
  {
    region: 'TAS1',
    demand: 1180,
    roofCap: 420,
    noon: 12.2,
    dayLen: 3.0,
    winterLoss: 0.5,
    windCf: 0.38,
    windNight: 0.0,
    windSeason: 0.2,
    windLag: 12,
    heat: 0.12,
    cool: 0.0,
    hydroBase: 0.3,
    hydroShare: 0.95,
    gasMin: 0,
    coalMin: 0,
    coalPush: 0,
    eventRate: 0.02,
  },
];

/** Rooftop sub-regions: parent and typical share of the parent's rooftop MW (*estimate*: by installed systems). */
export const ROOFTOP_SPLIT: readonly { region: RooftopSubregion; parent: Region; share: number }[] = [
  { region: 'QLDS', parent: 'QLD1', share: 0.72 },
  { region: 'QLDC', parent: 'QLD1', share: 0.16 },
  { region: 'QLDN', parent: 'QLD1', share: 0.12 },
  { region: 'TASN', parent: 'TAS1', share: 0.44 },
  { region: 'TASS', parent: 'TAS1', share: 0.56 },
];

export interface InterconnectorParams {
  id: InterconnectorId;
  /** Short column name used in the generating SQL. */
  col: string;
  /** FACTS §4: forward (first → second region) and reverse limits, MW (import_limit stored negative, as AEMO does). */
  exportLimit: number;
  importLimit: number;
  /** Share of a corridor's transfer carried by this link where two links run in parallel (by their limits). */
  share: number;
}

export const IC_PARAMS: readonly InterconnectorParams[] = [
  { id: 'NSW1-QLD1', col: 'qni', exportLimit: 850, importLimit: 1300, share: 0.88 },
  { id: 'N-Q-MNSP1', col: 'dl', exportLimit: 107, importLimit: 210, share: 0.12 },
  { id: 'VIC1-NSW1', col: 'vn', exportLimit: 1700, importLimit: 1450, share: 1 },
  { id: 'V-SA', col: 'vsa', exportLimit: 600, importLimit: 550, share: 0.73 },
  { id: 'V-S-MNSP1', col: 'ml', exportLimit: 220, importLimit: 200, share: 0.27 },
  { id: 'T-V-MNSP1', col: 'bl', exportLimit: 594, importLimit: 478, share: 1 },
];

/** Market price cap and floor (FACTS §3, FY2024-25). */
export const PRICE_CAP = 17500;
export const PRICE_FLOOR = -1000;
