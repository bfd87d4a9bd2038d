// The registry import against AEMO's real list (the shipped seed) and a small hand-made file with every quirk.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from './db.ts';
import { ingestFiles } from './ingest.ts';
import {
  ensureRegistry,
  loadRegistry,
  mapFuel,
  parseCsv,
  parseNumber,
  SEED_REGISTRY,
  type RegistryReport,
} from './registry.ts';
import { readGeneration } from './version.ts';

let dir: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;
let report: RegistryReport;

type Unit = {
  duid: string;
  station: string;
  region: string;
  fuel: string;
  technology: string | null;
  dispatch_type: string | null;
  capacity_mw: number;
  storage_mwh: number | null;
};
async function unit(duid: string): Promise<Unit | undefined> {
  const r = await conn.runAndReadAll(`SELECT * FROM units WHERE duid = $d`, { d: duid });
  return r.getRowObjectsJS()[0] as Unit | undefined;
}
async function scalar(sql: string): Promise<number> {
  return Number((await conn.runAndReadAll(sql)).getRows()[0][0]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nem-registry-'));
  ({ instance } = await openStore({ dataDir: dir, threads: 1 }));
  conn = await instance.connect();
  report = await loadRegistry(conn, SEED_REGISTRY);
});

afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('AEMO registry (shipped seed)', () => {
  it('writes one row per DUID and accounts for every CSV row', async () => {
    expect(report.rows).toBe(573);
    expect(report.skipped.filter((s) => s.reason === 'no DUID')).toHaveLength(9);
    expect(
      report.skipped
        .map((s) => s.duid)
        .filter(Boolean)
        .sort(),
    ).toEqual(['BLNKTAS', 'BLNKVIC']);
    expect(report.merged).toBe(1);
    expect(report.units).toBe(report.rows - report.skipped.length - report.merged);
    expect(await scalar('SELECT count(*) FROM units')).toBe(report.units);
    // an independent parse of the same file (DuckDB's CSV reader) agrees on the distinct DUIDs
    const independent = await scalar(`SELECT count(DISTINCT trim(DUID, E' \\t\\r\\n'))
      FROM read_csv('${SEED_REGISTRY}', header = true, all_varchar = true)
      WHERE trim(DUID, E' \\t\\r\\n') NOT IN ('', '-', 'BLNKTAS', 'BLNKVIC')`);
    expect(await scalar('SELECT count(*) FROM units')).toBe(independent);
  });

  it('maps known units to their contract fuel, region and capacity', async () => {
    expect(await unit('BW01')).toMatchObject({
      station: 'Bayswater Power Station',
      region: 'NSW1',
      fuel: 'Coal',
      capacity_mw: 660,
    });
    expect(await unit('LYA1')).toMatchObject({ region: 'VIC1', fuel: 'Coal', capacity_mw: 560 }); // brown coal
    expect(await unit('HPR1')).toMatchObject({
      region: 'SA1',
      fuel: 'Battery',
      capacity_mw: 150,
      storage_mwh: 194,
      dispatch_type: 'Bidirectional Unit',
    });
    expect(await unit('HDWF2')).toMatchObject({
      station: 'Hornsdale Wind Farm 2',
      region: 'SA1',
      fuel: 'Wind',
      capacity_mw: 102.4,
    });
    expect(await unit('MACARTH1')).toMatchObject({ region: 'VIC1', fuel: 'Wind', capacity_mw: 420 });
    expect(await unit('BROKENH1')).toMatchObject({ region: 'NSW1', fuel: 'Solar', capacity_mw: 53.76 });
    expect(await unit('PPCCGT')).toMatchObject({ region: 'SA1', fuel: 'Gas', capacity_mw: 478 }); // CCGT
    expect(await unit('MORTLK11')).toMatchObject({ fuel: 'Gas' }); // OCGT
    expect(await unit('TORRB1')).toMatchObject({ fuel: 'Gas' }); // natural gas / fuel oil steam
    expect(await unit('TUMUT3')).toMatchObject({ region: 'NSW1', fuel: 'Hydro', capacity_mw: 1500 });
    expect(await unit('W/HOE#1')).toMatchObject({ region: 'QLD1', fuel: 'Hydro' }); // pumped storage
    expect(await unit('CONDONG1')).toMatchObject({ fuel: 'Biomass' }); // bagasse
    expect(await unit('SNUG1')).toMatchObject({ fuel: 'Other' }); // diesel OCGT
    const fuels = (await conn.runAndReadAll('SELECT DISTINCT fuel FROM units ORDER BY 1')).getRows().map((r) => r[0]);
    expect(fuels).toEqual(['Battery', 'Biomass', 'Coal', 'Gas', 'Hydro', 'Other', 'Solar', 'Wind']);
  });

  it('keeps scheduled loads with the MW they consume and their station fuel', async () => {
    // Wivenhoe's pumps have '-' in every fuel column: they take the fuel of Wivenhoe's generating units
    expect(await unit('PUMP1')).toMatchObject({
      station: 'Wivenhoe Power Station',
      fuel: 'Hydro',
      dispatch_type: 'Load',
      capacity_mw: 240,
    });
    expect(await unit('SHPUMP')).toMatchObject({ fuel: 'Hydro', dispatch_type: 'Load', capacity_mw: 240 });
    expect(await unit('SNOWYP')).toMatchObject({ fuel: 'Hydro', dispatch_type: 'Load', capacity_mw: 600 });
  });

  it('merges duplicate DUID rows and trims trailing spaces and line breaks', async () => {
    // ADPBA1 is on two rows; only the second carries storage (6 MWh)
    expect(await unit('ADPBA1')).toMatchObject({ capacity_mw: 7.76, storage_mwh: 6, fuel: 'Battery' });
    expect(await unit('ERB01')).toMatchObject({ fuel: 'Battery', capacity_mw: 614.6 }); // 'ERB01 ' in the CSV
    expect(await unit('HASTING1')).toMatchObject({ fuel: 'Gas' }); // 'HASTING1\n' (ethane OCGT)
    expect(await unit('ALDGASF1')).toMatchObject({ station: 'Aldoga Solar Farm' });
    expect(
      await scalar(
        `SELECT count(*) FROM units WHERE duid <> trim(duid) OR station <> trim(station) OR duid LIKE '%\n%'`,
      ),
    ).toBe(0);
  });

  it('is idempotent', async () => {
    const sum = `SELECT sum(hash(duid, station, region, fuel, technology, participant, dispatch_type, capacity_mw, storage_mwh)) FROM units`;
    const before = (await conn.runAndReadAll(sum)).getRows()[0][0];
    await loadRegistry(conn, SEED_REGISTRY);
    expect(await scalar('SELECT count(*) FROM units')).toBe(report.units);
    expect((await conn.runAndReadAll(sum)).getRows()[0][0]).toBe(before);
  });
});

describe('registry quirks (hand-made file)', () => {
  const header =
    'Participant,Station Name,Region,Dispatch Type,Category,Classification,Fuel Source - Primary,Fuel Source - Descriptor,' +
    'Technology Type - Primary,Technology Type - Descriptor,Units,Aggregation,DUID,Reg Cap generation (MW),Max Cap generation (MW),' +
    'Max ROC/Min generation,Reg Cap consumption (MW),Max Cap consumption (MW),Max ROC/Min consumption,Maximum storage capacity ,Comments';
  const rows = [
    // text number with a thousands separator, quoted because of its comma
    '"Big Co, Ltd",Big Coal ,NSW1,Generating Unit,Market,Scheduled ,Fossil,Black Coal,Combustion,Steam Sub-Critical,"1-4",Y,BIG1 ,"1,234.5",1200,-,,,,,',
    // blank Reg Cap: falls back to Max Cap; '-' cells are missing values
    'P,Little Wind,SA1,Generating Unit,Market,Semi-Scheduled,Wind,Wind,Renewable,Wind - Onshore,1,N,LW1,-,80,-,,,,-,',
    // the same DUID twice: merged to the larger capacity
    'P,Little Wind,SA1,Generating Unit,Market,Semi-Scheduled,Wind,Wind,Renewable,Wind - Onshore,2,N,LW1,90,85,-,,,,,',
    // no DUID, unknown region, no capacity: skipped with a reason
    'P,Mystery,VIC1,Generating Unit,Non-Market,Non-Scheduled,Hydro,Water,Renewable,Run of River,1,N,-,5,5,0,,,,,',
    'P,Elsewhere,WA1,Generating Unit,Market,Scheduled,Solar,Solar,Renewable,Photovoltaic Flat panel,1,N,WA1SF,10,10,0,,,,,',
    'P,Empty,QLD1,Generating Unit,Market,Scheduled,Solar,Solar,Renewable,Photovoltaic Flat panel,1,N,EMPTY1,,,,,,,,',
    // a load with no fuel of its own, at a station whose generator is hydro; CRLF line ending
    'P,Pumped Valley,QLD1,Generating Unit,Market,Scheduled,Hydro,Water,Renewable,Pump Storage,1,Y,PV1,300,300,0,,,,,\r',
    'P,Pumped Valley,QLD1,Load,Market,Scheduled,-,-,-,-,1,Y,PVPUMP,250,250,0,,,,,',
  ];
  let file: string;
  let rep: RegistryReport;
  beforeAll(async () => {
    file = join(dir, 'quirks.csv');
    writeFileSync(file, [header, ...rows].join('\n') + '\n');
    rep = await loadRegistry(conn, file);
  });

  it('parses text numbers, falls back to Max Cap, merges duplicates and skips unusable rows', async () => {
    expect(rep).toMatchObject({ rows: 8, units: 4, merged: 1 });
    expect(rep.skipped.map((s) => s.reason)).toEqual(['no DUID', 'unknown region "WA1"', 'no capacity']);
    expect(await unit('BIG1')).toMatchObject({
      station: 'Big Coal',
      participant: 'Big Co, Ltd',
      fuel: 'Coal',
      capacity_mw: 1234.5,
    });
    expect(await unit('LW1')).toMatchObject({ fuel: 'Wind', capacity_mw: 90, storage_mwh: null });
    expect(await unit('PVPUMP')).toMatchObject({ fuel: 'Hydro', dispatch_type: 'Load', capacity_mw: 250 });
    expect(await scalar('SELECT count(*) FROM units')).toBe(4); // the seed's rows were replaced, not added to
  });

  it('leaves units unchanged when the file is missing or has no usable row', async () => {
    await expect(loadRegistry(conn, join(dir, 'missing.csv'))).rejects.toThrow(/cannot read registry .*missing\.csv/);
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      header + '\nP,X,NSW1,Generating Unit,Market,Scheduled,Wind,Wind,Renewable,Wind,1,N,-,1,1,0,,,,,\n',
    );
    await expect(loadRegistry(conn, bad)).rejects.toThrow(/no usable DUID rows/);
    writeFileSync(bad, 'Participant,DUID\nP,X\n');
    await expect(loadRegistry(conn, bad)).rejects.toThrow(/no "Station Name" column/);
    expect(await scalar('SELECT count(*) FROM units')).toBe(4);
  });
});

describe('ensureRegistry (a store without units gets the shipped registry)', () => {
  const FIXTURES = join(import.meta.dirname, '../../test/fixtures/aemo');
  const ARCHIVES = ['DISPATCH_UNIT_SCADA', 'DISPATCHPRICE', 'ROOFTOP_PV_ACTUAL', 'DISPATCHINTERCONNECTORRES'].map((t) =>
    join(FIXTURES, `PUBLIC_ARCHIVE%23${t}%23FILE01%23202604010000.zip`),
  );
  const stores: DuckDBInstance[] = [];
  const fresh = async (): Promise<DuckDBConnection> => {
    const { instance: i } = await openStore({ dataDir: mkdtempSync(join(dir, 'store-')), threads: 1 });
    stores.push(i);
    return i.connect();
  };
  afterAll(() => stores.forEach((i) => i.closeSync()));
  const rollups = async (c: DuckDBConnection) => {
    const out: Record<string, string[]> = {};
    for (const t of ['gen_5m', 'gen_30m', 'gen_1d', 'unit_1d']) {
      out[t] = (await c.runAndReadAll(`SELECT * FROM ${t}`))
        .getRowsJS()
        .map((r) => JSON.stringify(r))
        .sort();
    }
    return out;
  };

  it('recomputes the rollups of SCADA stored before it: the same as with the registry loaded first', async () => {
    const first = await fresh();
    expect(await ensureRegistry(first)).toMatchObject({ units: 561 });
    expect((await ingestFiles(first, ARCHIVES)).rejected).toBe(0);

    const later = await fresh();
    expect((await ingestFiles(later, ARCHIVES)).rejected).toBe(0);
    const before = await readGeneration(later);
    expect((await later.runAndReadAll(`SELECT count(*)::INT FROM unit_1d`)).getRowsJS()).toEqual([[0]]); // no units: no unit rollups
    expect(await ensureRegistry(later)).toMatchObject({ units: 561 });
    const want = await rollups(first);
    expect(want.unit_1d.length).toBeGreaterThan(0);
    expect(await rollups(later)).toEqual(want);
    expect(await readGeneration(later)).not.toBe(before); // answers already given changed
  });

  it('never replaces units a store already has', async () => {
    const c = await fresh();
    const file = join(dir, 'one-unit.csv');
    writeFileSync(
      file,
      'Participant,Station Name,Region,Fuel Source - Primary,DUID,Reg Cap generation (MW)\nP,Solo,SA1,Wind,SOLO1,10\n',
    );
    await loadRegistry(c, file);
    expect(await ensureRegistry(c)).toBeNull();
    expect((await c.runAndReadAll('SELECT duid FROM units')).getRowsJS()).toEqual([['SOLO1']]);
  });
});

describe('helpers', () => {
  it('parseCsv handles quotes, doubled quotes, embedded commas and line breaks, CRLF', () => {
    expect(parseCsv('a,"b,c","d ""e""",\r\n"x\ny",2\n')).toEqual([
      ['a', 'b,c', 'd "e"', ''],
      ['x\ny', '2'],
    ]);
    expect(() => parseCsv('a,"b\n')).toThrow(/unterminated/);
  });

  it('parseNumber reads text numbers and treats blanks and dashes as missing', () => {
    expect(parseNumber('1,234')).toBe(1234);
    expect(parseNumber(' 7.5 ')).toBe(7.5);
    expect(parseNumber('-')).toBeNull();
    expect(parseNumber('')).toBeNull();
    expect(parseNumber('n/a')).toBeNull();
    // No unit's MW: a capacity of 1e300 stored would make every fixed-point sum over the fleet fail.
    expect(parseNumber('1e300')).toBeNull();
    expect(parseNumber('-2,000,000,000')).toBeNull();
    expect(parseNumber('1,000,000')).toBe(1e6);
  });

  it('mapFuel covers every fuel and technology combination in the list', () => {
    expect(mapFuel('Fossil', 'Brown Coal', 'Steam Sub-Critical')).toBe('Coal');
    expect(mapFuel('Fossil', 'Coal Seam Methane', 'Open Cycle Gas turbines (OCGT)')).toBe('Gas');
    expect(mapFuel('Fossil', 'Waste Coal Mine Gas', 'Spark Ignition Reciprocating Engine')).toBe('Gas');
    expect(mapFuel('Fossil', 'Natural Gas', 'Combined Cycle Gas Turbine (CCGT)')).toBe('Gas');
    expect(mapFuel('Fossil', 'Ethane', 'Open Cycle Gas turbines (OCGT)')).toBe('Gas');
    expect(mapFuel('Fossil', 'Kerosene', 'Open Cycle Gas turbines (OCGT)')).toBe('Other');
    expect(mapFuel('Fossil', 'Diesel', 'Compression Reciprocating Engine')).toBe('Other');
    expect(mapFuel('Hydro', 'Water', 'Pump Storage')).toBe('Hydro');
    expect(mapFuel('Battery Storage', 'Wind', 'Battery and Inverter')).toBe('Battery');
    expect(mapFuel('Solar', 'solar', 'Photovoltalic Tracking Flat Panel')).toBe('Solar');
    expect(
      mapFuel('Renewable/ Biomass / Waste', 'Landfill Methane / Landfill Gas', 'Spark Ignition Reciprocating Engine'),
    ).toBe('Biomass');
    expect(mapFuel('Renewable/ Biomass / Waste and Fossil', 'Bagasse and Diesel', 'Steam Super Critical')).toBe(
      'Biomass',
    );
    expect(mapFuel(null, null, null)).toBeNull();
  });
});
