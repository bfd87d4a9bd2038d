// Battery kinds. A battery is a unit (DUID) whose registry fuel is Battery; its SCADA MW is positive when it
// discharges and negative when it charges, and each 5-minute interval moves MW × 5/60 MWh at its region's RRP.
// State of charge is AEMO's ENERGY_STORAGE (NEXT_DAY_DISPATCH's MWh at the end of each interval) where the store
// holds it; where it does not, an estimate from SCADA, labelled 'estimated'.
import type { Region } from '../nem.ts';
import { oneUnit, region, regions, returns, seriesParams, timeParams, unitParams, type Contracts } from './contract.ts';
import type { Column, Series } from './series.ts';
import { RANGES } from './window.ts';

/** Where a state of charge comes from: AEMO's ENERGY_STORAGE, or SCADA integrated here (see battery.soc's about). */
export type SocSource = 'aemo' | 'estimated';

/**
 * How far back from the watermark a fleet's `now` reads, whatever the window asked for (AEMO's state of charge comes a
 * day late, so the latest within this): such an answer follows the watermark even over a past window (a cache key never
 * fixed), and a revision this recent changes it.
 */
export const FLEET_NOW_READS_S = 7 * 86400;

/** The fleet at the latest interval: what the NEM tab shows as "fleet battery state". */
export interface BatteriesNow {
  /** The latest interval with battery SCADA (interval end). */
  ts: number;
  dischargingMw: number;
  /** Negative, like SCADA. */
  chargingMw: number;
  /** The latest interval with AEMO's state of charge (it comes a day late from NEXT_DAY_DISPATCH); null when none. */
  socTs: number | null;
  socMwh: number | null;
  storageMwh: number | null;
  socPct: number | null;
}

export interface BatteriesFleet extends Series<'discharging' | 'charging'> {
  /** Fleet state of charge and the storage MWh of the batteries it counts, per bucket (MWh; null where not stored). */
  socMwh: Column;
  storageMwh: Column;
  now: BatteriesNow | null;
}

export interface BatteryRow {
  duid: string;
  station: string;
  region: Region;
  capacityMw: number;
  storageMwh: number | null;
  /** MWh charged (positive) and discharged. */
  inMwh: number;
  outMwh: number;
  /** Volume-weighted RRP while charging and while discharging, $/MWh; spread = discharge − charge. */
  chargePrice: number | null;
  dischargePrice: number | null;
  spread: number | null;
  /** Σ MW × RRP × 5/60 over both directions, $. */
  netRevenue: number;
  cycles: number | null;
  socTs: number | null;
  socMwh: number | null;
  socPct: number | null;
  socSource: SocSource | null;
  /** The estimate reached the storage MWh and was capped there. */
  socClamped: boolean;
}
export interface BatteriesTable {
  rows: BatteryRow[];
}

/** Per NEM day (stamped with its NEM-midnight start): MWh columns in MWh, the others in $ (the unit). */
export interface BatteriesArbitrage extends Series<'inMwh' | 'outMwh' | 'chargeCost' | 'dischargeRevenue' | 'net'> {
  /** The region's (or the NEM's) batteries in the registry. */
  fleet: { units: number; capacityMw: number; storageMwh: number };
}

export interface BatterySoc extends Series<'mw'> {
  duids: string[];
  station: string;
  region: Region;
  capacityMw: number;
  storageMwh: number | null;
  /** MWh per bucket; its source says which. */
  socMwh: Column;
  socSource: SocSource | null;
}

const month = { type: 'enum', values: RANGES, default: '30d' } as const;

export const BATTERIES = {
  'batteries.fleet': {
    about:
      "Fleet battery MW from SCADA: discharging = Σ max(MW, 0), charging = Σ min(MW, 0) over the region's (or the NEM's) batteries, bucket means. State of charge = Σ AEMO's ENERGY_STORAGE (MWh) of the batteries with one and a registered storage MWh, against Σ their storage MWh, bucket means. 'Now' is the latest interval (state of charge: AEMO's latest, it comes a day late).",
    params: { region, ...seriesParams },
    result: returns<BatteriesFleet>(),
  },
  'batteries.table': {
    about:
      "Per battery unit (DUID), SCADA × region RRP: MWh in and out, volume-weighted charge and discharge price, spread = their difference, net revenue = Σ MW × RRP × 5/60, cycles = MWh out ÷ storage MWh. State of charge: AEMO's latest ENERGY_STORAGE, else estimated from SCADA integrated over the window's last 7 days at most (no losses, lowest point empty, capped at storage).",
    params: { regions, ...timeParams },
    result: returns<BatteriesTable>(),
  },
  'batteries.arbitrage': {
    about:
      "Per NEM day, the region's (or the NEM's) batteries: MWh charged and discharged, charge cost = Σ charging MW × RRP × 5/60, discharge revenue = Σ discharging MW × RRP × 5/60, net = revenue − cost (the day's arbitrage).",
    params: { region, range: month, from: timeParams.from, to: timeParams.to },
    result: returns<BatteriesArbitrage>(),
  },
  'battery.soc': {
    about:
      "One battery unit's (or a station's batteries') SCADA MW and state of charge: AEMO's ENERGY_STORAGE where stored, else estimated from SCADA integrated from the window's start (no losses, the window's lowest point taken as empty, capped at the storage MWh). Bucket means.",
    params: { ...unitParams, ...seriesParams },
    result: returns<BatterySoc>(),
    check: oneUnit,
  },
} as const satisfies Contracts;
export type BatteryKind = keyof typeof BATTERIES;
