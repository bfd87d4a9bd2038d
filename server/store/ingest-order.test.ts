// No import depends on the order of files: every real AEMO fixture (test/fixtures/aemo) plus the DISPATCHREGIONSUM
// archive (test/fixtures/aemo-regionsum), imported one file at a time in name order (registry first, prices before
// REGIONSUM) and in the reverse order (REGIONSUM before prices, SCADA before prices, the registry last), gives the same
// stored tables, rollups included, and the same answers. Demand is checked against the raw REGIONSUM rows.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kind } from '../../shared/kinds.ts';
import { ask } from '../../test/util/catalogue.ts';
import type { QueryContext } from '../catalogue/index.ts';
import { openStore, readWatermark } from './db.ts';
import { ingestFiles } from './ingest.ts';

const AEMO = join(import.meta.dirname, '../../test/fixtures/aemo');
const REGIONSUM = join(
  import.meta.dirname,
  '../../test/fixtures/aemo-regionsum/PUBLIC_ARCHIVE%23DISPATCHREGIONSUM%23FILE01%23202604010000.zip',
);
const REGISTRY = join(AEMO, 'NEM-Registration-and-Exemption-List__PU_and_Scheduled_Loads.derived.csv');
/** The data files in name order, as a folder walk takes them (DISPATCHPRICE before DISPATCHREGIONSUM). */
const DATA = [
  ...readdirSync(AEMO)
    .filter((n) => /\.(csv|zip)$/i.test(n))
    .map((n) => join(AEMO, n))
    .filter((p) => p !== REGISTRY),
  REGIONSUM,
].sort((a, b) => basename(a).localeCompare(basename(b)));
const TABLES = [
  'units',
  'scada',
  'price',
  'regionsum',
  'trading_price',
  'interconnector',
  'rooftop',
  'gen_5m',
  'gen_30m',
  'gen_1d',
  'unit_1d',
];

/** The questions compared between the two stores: demand-weighted prices, fuel mixes, a unit, the tabs. */
const QUESTIONS: [Kind, Record<string, unknown>][] = [
  ['prices.current', {}],
  ['prices.stats', { range: 'all', regions: ['NSW1', 'SA1'] }],
  ['prices.history', { range: '7d', regions: ['NSW1', 'SA1'], resolution: '5m' }],
  ['generation.byFuel', { region: 'SA1', range: 'all' }],
  ['generation.mix', { region: 'NEM' }],
  ['station.output', { duid: 'HDWF2', range: 'all', resolution: '1d' }],
  ['stations.table', { range: 'all', regions: ['SA1'] }],
  ['tab.nem', { region: 'NEM' }],
  ['tab.prices', { range: '7d', regions: ['NSW1', 'SA1'] }],
  ['tab.generation', { region: 'SA1', range: '7d' }],
];

/** "2026/04/01 00:05:00" in NEM time → epoch seconds of the interval end. */
function nemTime(s: string): number {
  const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(s)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000 - 10 * 3600;
}

/** The archive's D rows, read here with fflate and split, not by the importer. */
function rawRegionsum(): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const bytes of Object.values(unzipSync(readFileSync(REGIONSUM)))) {
    let cols: string[] = [];
    for (const line of Buffer.from(bytes).toString('latin1').split(/\r?\n/)) {
      const f = line.split(',');
      if (f[0] === 'I') cols = f;
      else if (f[0] === 'D') out.push(Object.fromEntries(cols.map((c, i) => [c, f[i]])));
    }
  }
  return out;
}

interface Store {
  conn: DuckDBConnection;
  ctx: QueryContext;
}
const dirs: string[] = [];
const instances: DuckDBInstance[] = [];

/** A new store with `paths` imported one ingestFiles call each, in this order. */
async function importInOrder(paths: string[]): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'nem-order-'));
  dirs.push(dir);
  const { instance } = await openStore({ dataDir: dir, threads: 2 });
  instances.push(instance);
  const conn = await instance.connect();
  for (const p of paths) expect((await ingestFiles(conn, [p])).rejected, p).toBe(0);
  const wm = (await readWatermark(conn))!;
  return { conn, ctx: { conn, watermark: wm.watermark, firstTs: wm.firstTs } };
}

/** Every row of a table, as text, in one order (rollup sums are fixed-point, so equal to the last bit). */
async function contents(conn: DuckDBConnection, table: string): Promise<string[]> {
  const rows = (await conn.runAndReadAll(`SELECT * FROM ${table}`)).getRowsJS();
  return rows.map((r) => JSON.stringify(r)).sort();
}

let forward: Store;
let backward: Store;
beforeAll(async () => {
  const order = [REGISTRY, ...DATA];
  expect(order.indexOf(REGIONSUM)).toBeGreaterThan(order.findIndex((p) => p.includes('DISPATCHPRICE')));
  forward = await importInOrder(order);
  backward = await importInOrder([...order].reverse());
});
afterAll(() => {
  for (const i of instances) i.closeSync();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('import order', () => {
  it('stores the same rows in every table, rollups included, whichever file comes first', async () => {
    for (const t of TABLES) {
      const a = await contents(forward.conn, t);
      expect(a.length, t).toBeGreaterThan(0);
      expect(await contents(backward.conn, t), t).toEqual(a);
    }
  });

  it("stores REGIONSUM's rows as published and puts their TOTALDEMAND on the price rows, in both orders", async () => {
    const raw = rawRegionsum().filter((r) => r.INTERVENTION === '0');
    expect(raw).toHaveLength(2880);
    const num = (s: string) => (s === '' ? null : Number(s));
    const want = raw
      .map((r) =>
        JSON.stringify([
          nemTime(r.SETTLEMENTDATE),
          r.REGIONID,
          +r.TOTALDEMAND,
          num(r.DEMAND_AND_NONSCHEDGEN),
          num(r.NETINTERCHANGE),
          num(r.SS_SOLAR_UIGF),
          num(r.SS_WIND_UIGF),
          num(r.SS_SOLAR_CLEAREDMW),
          num(r.SS_WIND_CLEAREDMW),
          num(r.SS_SOLAR_AVAILABILITY),
          num(r.SS_WIND_AVAILABILITY),
          num(r.BDU_CLEAREDMW_GEN),
          num(r.BDU_CLEAREDMW_LOAD),
        ]),
      )
      .sort();
    const demand = raw.map((r) => JSON.stringify([nemTime(r.SETTLEMENTDATE), r.REGIONID, +r.TOTALDEMAND])).sort();
    for (const s of [forward, backward]) {
      expect(await contents(s.conn, 'regionsum')).toEqual(want);
      const got = (
        await s.conn.runAndReadAll(
          `SELECT ts, region, demand_mw FROM price WHERE ts > ${nemTime('2026/01/01 00:00:00')}`,
        )
      ).getRowsJS();
      expect(got.map((r) => JSON.stringify(r)).sort()).toEqual(demand);
    }
  });

  it('gives the same answers, with demand-weighted prices, whichever file comes first', async () => {
    expect(backward.ctx.watermark).toBe(forward.ctx.watermark);
    for (const [kind, params] of QUESTIONS) {
      expect(await ask(backward.ctx, kind, params), kind).toEqual(await ask(forward.ctx, kind, params));
    }
    const stats = await ask(backward.ctx, 'prices.stats', { range: 'all', regions: ['NSW1', 'SA1'] });
    for (const row of stats.rows) expect(row.demandWeighted, row.region).not.toBeNull();
  });
});
