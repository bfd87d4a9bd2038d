// Imports AEMO's Registration and Exemption List ("PU and Scheduled Loads" sheet saved as CSV) into `units`:
// one row per DUID with its fuel already mapped to the contract's FUELS. Idempotent: the table is replaced whole.
// A store with no units gets the shipped one (ensureRegistry): without units no SCADA reaches the fuel rollups.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { REGIONS, type Fuel } from '../../shared/nem.ts';
import { inTransaction } from './db.ts';
import { refreshAllRollups } from './rollups.ts';
import { bumpDataVersion } from './version.ts';
import { MAX_MAGNITUDE } from './mms.ts';

export interface UnitRow {
  duid: string;
  station: string;
  region: string;
  fuel: Fuel;
  technology: string | null;
  participant: string | null;
  dispatch_type: string | null;
  capacity_mw: number;
  storage_mwh: number | null;
}

export interface RegistryReport {
  /** Data rows read from the CSV. */
  rows: number;
  /** Rows written to `units` (one per DUID). */
  units: number;
  /** Rows folded into an earlier row with the same DUID. */
  merged: number;
  /** Rows not imported, with the reason (no DUID, unknown region, no capacity, interconnector metering). */
  skipped: { line: number; duid: string; reason: string }[];
}

/** The AEMO registry shipped with the project as the demo's unit list (Source: AEMO; see seed/SOURCES.md). */
export const SEED_REGISTRY = fileURLToPath(new URL('./seed/registry.csv', import.meta.url));

/** Basslink's two metering points are registered as generating units; their flow is the interconnector T-V-MNSP1. */
const INTERCONNECTOR_DUIDS = new Set(['BLNKTAS', 'BLNKVIC']);

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error('unterminated quoted field at end of file');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
}

/** Blank, '-' and whitespace-only cells are missing values; everything else is trimmed (including stray newlines). */
function cell(v: string | undefined): string | null {
  const s = (v ?? '').trim();
  return s === '' || s === '-' ? null : s;
}

/** "1,234.5" → 1234.5; missing, non-numeric or beyond any AEMO quantity (MAX_MAGNITUDE) → null. */
export function parseNumber(v: string | undefined): number | null {
  const s = cell(v);
  if (s === null) return null;
  const n = Number(s.replace(/,/g, ''));
  return Math.abs(n) <= MAX_MAGNITUDE ? n : null;
}

/**
 * AEMO's fuel and technology columns → a contract fuel. Returns null when the row says nothing about its fuel
 * (the caller then borrows the fuel of the unit's station).
 */
export function mapFuel(
  fuelPrimary: string | null,
  fuelDescriptor: string | null,
  techDescriptor: string | null,
): Fuel | null {
  const fp = (fuelPrimary ?? '').toLowerCase();
  const fd = (fuelDescriptor ?? '').toLowerCase();
  const td = (techDescriptor ?? '').toLowerCase();
  if (!fp && !fd && !td) return null;
  if (fp.includes('battery') || td.includes('battery')) return 'Battery';
  if (fp.includes('solar') || td.includes('photovolt')) return 'Solar';
  if (fp.includes('wind')) return 'Wind';
  if (fp.includes('hydro')) return 'Hydro';
  // 'Renewable/ Biomass / Waste' (bagasse, landfill gas, biogas, sewage) and the bagasse-and-diesel hybrid
  if (fp.includes('biomass')) return 'Biomass';
  if (fp.includes('fossil')) {
    // coal seam methane and waste coal mine gas burn gas, not coal
    if (/gas|methane|ethane/.test(fd)) return 'Gas';
    if (fd.includes('coal')) return 'Coal';
    return 'Other'; // diesel, kerosene and other liquid fuels
  }
  return 'Other';
}

/** Column positions located by (trimmed, case-insensitive) header names, so column order does not matter. */
function columns(header: string[]) {
  const names = header.map((h) => h.trim().toLowerCase());
  const find = (name: string, required = true): number => {
    const i = names.indexOf(name.toLowerCase());
    if (i < 0 && required)
      throw new Error(`registry CSV has no "${name}" column (found: ${header.map((h) => h.trim()).join(', ')})`);
    return i;
  };
  return {
    participant: find('Participant', false),
    station: find('Station Name'),
    region: find('Region'),
    dispatchType: find('Dispatch Type', false),
    fuelPrimary: find('Fuel Source - Primary'),
    fuelDescriptor: find('Fuel Source - Descriptor', false),
    techDescriptor: find('Technology Type - Descriptor', false),
    duid: find('DUID'),
    regCap: find('Reg Cap generation (MW)'),
    maxCap: find('Max Cap generation (MW)', false),
    regCapLoad: find('Reg Cap consumption (MW)', false),
    maxCapLoad: find('Max Cap consumption (MW)', false),
    storage: find('Maximum storage capacity', false),
  };
}

/**
 * Parses the registry CSV text into one row per DUID. Duplicate DUID rows are merged (largest capacity and
 * storage, first non-blank text). Scheduled loads (pumps, battery load sides) are kept: their capacity is the
 * MW they consume, and a load with no fuel of its own takes its station's fuel (Wivenhoe's pumps → Hydro).
 */
export function parseRegistry(text: string): { units: UnitRow[]; report: RegistryReport } {
  const table = parseCsv(text.replace(/^\uFEFF/, ''));
  if (table.length === 0) throw new Error('registry CSV is empty');
  const col = columns(table[0]);
  const get = (r: string[], i: number) => (i < 0 ? null : cell(r[i]));
  const num = (r: string[], i: number) => (i < 0 ? null : parseNumber(r[i]));
  const regions = new Set<string>(REGIONS);
  const byDuid = new Map<string, UnitRow & { line: number }>();
  const stationFuel = new Map<string, Fuel>();
  const noFuel: (UnitRow & { line: number })[] = [];
  const report: RegistryReport = { rows: table.length - 1, units: 0, merged: 0, skipped: [] };

  for (let k = 1; k < table.length; k++) {
    const r = table[k];
    const line = k + 1; // 1-based, header is line 1 (rows with embedded newlines make this approximate)
    const duid = get(r, col.duid);
    if (!duid) {
      report.skipped.push({ line, duid: '', reason: 'no DUID' });
      continue;
    }
    if (INTERCONNECTOR_DUIDS.has(duid)) {
      report.skipped.push({ line, duid, reason: 'interconnector metering point (Basslink is T-V-MNSP1)' });
      continue;
    }
    const region = get(r, col.region);
    if (!region || !regions.has(region)) {
      report.skipped.push({ line, duid, reason: `unknown region ${JSON.stringify(region ?? '')}` });
      continue;
    }
    const dispatchType = get(r, col.dispatchType);
    const isLoad = dispatchType?.toLowerCase() === 'load';
    const gen = num(r, col.regCap) ?? num(r, col.maxCap);
    const load = num(r, col.regCapLoad) ?? num(r, col.maxCapLoad);
    const capacity = isLoad ? (load ?? gen) : (gen ?? load);
    if (capacity === null || capacity <= 0) {
      report.skipped.push({ line, duid, reason: 'no capacity' });
      continue;
    }
    const storage = num(r, col.storage);
    const station = get(r, col.station) ?? duid;
    const fuel = mapFuel(get(r, col.fuelPrimary), get(r, col.fuelDescriptor), get(r, col.techDescriptor));
    const techParts = [get(r, col.techDescriptor), get(r, col.fuelDescriptor)].filter((s): s is string => s !== null);
    const row: UnitRow & { line: number } = {
      line,
      duid,
      station,
      region,
      fuel: fuel ?? 'Other',
      technology: techParts.length ? techParts.join(' / ') : null,
      participant: get(r, col.participant),
      dispatch_type: dispatchType,
      capacity_mw: capacity,
      storage_mwh: storage !== null && storage > 0 ? storage : null,
    };
    const prev = byDuid.get(duid);
    if (prev) {
      report.merged++;
      prev.capacity_mw = Math.max(prev.capacity_mw, row.capacity_mw);
      if (row.storage_mwh !== null) prev.storage_mwh = Math.max(prev.storage_mwh ?? 0, row.storage_mwh);
      prev.technology ??= row.technology;
      prev.participant ??= row.participant;
      prev.dispatch_type ??= row.dispatch_type;
      continue;
    }
    byDuid.set(duid, row);
    if (fuel === null) noFuel.push(row);
    else if (!isLoad && !stationFuel.has(station)) stationFuel.set(station, fuel);
  }
  for (const row of noFuel) {
    row.fuel = stationFuel.get(row.station) ?? (/pump/i.test(row.station) ? 'Hydro' : 'Other');
  }
  const units = [...byDuid.values()].map(({ line: _line, ...u }) => u);
  units.sort((a, b) => (a.duid < b.duid ? -1 : a.duid > b.duid ? 1 : 0));
  report.units = units.length;
  return { units, report };
}

/** Reads and parses the registry CSV at `csvPath`; throws naming the file when it cannot be read or holds no units. */
export function readRegistry(csvPath: string): ReturnType<typeof parseRegistry> {
  let text: string;
  try {
    text = readFileSync(csvPath, 'utf8');
  } catch (err) {
    throw new Error(`cannot read registry ${csvPath}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: ReturnType<typeof parseRegistry>;
  try {
    parsed = parseRegistry(text);
  } catch (err) {
    throw new Error(`registry ${csvPath}: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.units.length === 0) throw new Error(`registry ${csvPath}: no usable DUID rows; units left unchanged`);
  return parsed;
}

/** Replaces the rows of `units` with the registry at `csvPath` in one transaction (bulk append); rollups untouched. */
export async function loadRegistry(conn: DuckDBConnection, csvPath: string): Promise<RegistryReport> {
  const parsed = readRegistry(csvPath);
  await inTransaction(conn, () => writeUnits(conn, parsed.units));
  return parsed.report;
}

/**
 * Replaces `units` and, in the same transaction, recomputes the rollups over all stored SCADA (a unit's region and
 * fuel decide them, and SCADA may have arrived before its unit was known), and bumps the data version (station
 * names and past fuel totals change). What an import of a registry does.
 */
export async function replaceRegistry(conn: DuckDBConnection, csvPath: string): Promise<RegistryReport> {
  const parsed = readRegistry(csvPath);
  await inTransaction(conn, async () => {
    await bumpDataVersion(conn);
    await writeUnits(conn, parsed.units);
    await refreshAllRollups(conn);
  });
  return parsed.report;
}

/**
 * Loads the shipped registry (AEMO's units, SEED_REGISTRY) into a store whose `units` is empty, so SCADA imported into
 * a new store is named and counted under its fuel; null when the store already has units (they are never replaced).
 */
export async function ensureRegistry(conn: DuckDBConnection): Promise<RegistryReport | null> {
  const units = Number((await conn.runAndReadAll('SELECT count(*) FROM units')).getRows()[0][0]);
  return units > 0 ? null : replaceRegistry(conn, SEED_REGISTRY);
}

/** One line saying what ensureRegistry loaded. */
export function describeSeed(r: RegistryReport): string {
  return `registry: ${r.units} units from ${r.rows} rows (${r.merged} duplicate rows merged, ${r.skipped.length} skipped)`;
}

/** Writes `units` (replacing all rows) in the caller's transaction. */
async function writeUnits(conn: DuckDBConnection, units: UnitRow[]): Promise<void> {
  await conn.run('DELETE FROM units');
  const app = await conn.createAppender('units');
  for (const u of units) {
    app.appendVarchar(u.duid);
    app.appendVarchar(u.station);
    app.appendVarchar(u.region);
    app.appendVarchar(u.fuel);
    optText(app, u.technology);
    optText(app, u.participant);
    optText(app, u.dispatch_type);
    app.appendDouble(u.capacity_mw);
    if (u.storage_mwh === null) app.appendNull();
    else app.appendDouble(u.storage_mwh);
    app.endRow();
  }
  app.closeSync(); // flushes into this connection's transaction
}

function optText(app: { appendVarchar(v: string): void; appendNull(): void }, v: string | null): void {
  if (v === null) app.appendNull();
  else app.appendVarchar(v);
}
