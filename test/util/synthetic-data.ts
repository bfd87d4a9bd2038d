// A small synthetic store for the catalogue's tests: a few units, two regions' prices, interconnectors and
// rooftop PV over three days starting mid-day, written to raw tables and rolled up by the real refreshRollups.
// The raw rows are also returned as plain JS so tests can compute every expected number independently.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { openStore } from '../../server/store/db.ts';
import { refreshRollups } from '../../server/store/rollups.ts';

/** 2026-04-01 03:00 NEM time: not a midnight, so windows have partial-day edges. */
export const T0 = Date.UTC(2026, 2, 31, 17, 0, 0) / 1000;
export const INTERVALS = 3 * 288 + 7;
export const WATERMARK = T0 + INTERVALS * 300;

export const UNITS = [
  { duid: 'WINDA1', station: 'Alpha Wind Farm', region: 'SA1', fuel: 'Wind', cap: 100 },
  { duid: 'BATTA1', station: 'Alpha Battery', region: 'SA1', fuel: 'Battery', cap: 50 },
  { duid: 'COAL1', station: 'Big Coal', region: 'NSW1', fuel: 'Coal', cap: 500 },
  { duid: 'COAL2', station: 'Big Coal', region: 'NSW1', fuel: 'Coal', cap: 500 },
  { duid: 'SUNNY1', station: 'Sunny Solar', region: 'NSW1', fuel: 'Solar', cap: 200 },
] as const;

export interface Raw {
  price: { ts: number; region: string; rrp: number; demand: number }[];
  scada: { ts: number; duid: string; mw: number }[];
  ic: { ts: number; id: string; mw: number; exp: number; imp: number }[];
  rooftop: { ts: number; region: string; type: string; mw: number }[];
}

/** NEM hour of day (0–23) of an interval ending at ts. */
export const nemHour = (ts: number) => Math.floor(((((ts - 300 + 36000) % 86400) + 86400) % 86400) / 3600);
const solar = (ts: number) => Math.max(0, Math.sin(((nemHour(ts) + ((ts / 300) % 12) / 12 - 6) / 12) * Math.PI));

/** The synthetic rows for `intervals` 5-minute intervals after T0. */
export function rawRows(intervals = INTERVALS): Raw {
  const raw: Raw = { price: [], scada: [], ic: [], rooftop: [] };
  for (let i = 1; i <= intervals; i++) {
    const ts = T0 + i * 300;
    const sun = solar(ts);
    // Prices: a daily swing with negative middays in SA, and a spike every ~8 hours.
    const spike = i % 97 === 0 ? 1500 : i % 61 === 0 ? 450 : 0;
    raw.price.push({
      ts,
      region: 'NSW1',
      rrp: round2(80 + 40 * Math.sin(i / 20) - 60 * sun + spike),
      demand: 8000 + 500 * Math.cos(i / 40),
    });
    raw.price.push({
      ts,
      region: 'SA1',
      rrp: round2(60 + 30 * Math.cos(i / 15) - 120 * sun + spike / 2),
      demand: 1500 + 200 * Math.sin(i / 30),
    });
    raw.scada.push({ ts, duid: 'WINDA1', mw: round2(50 + 45 * Math.sin(i / 50)) });
    raw.scada.push({ ts, duid: 'BATTA1', mw: sun > 0.5 ? -30 : nemHour(ts) >= 17 && nemHour(ts) < 21 ? 40 : 0 });
    raw.scada.push({ ts, duid: 'COAL1', mw: 400 + (i % 10) });
    if (i % 50 !== 0) raw.scada.push({ ts, duid: 'COAL2', mw: 350 + (i % 7) }); // some gaps
    raw.scada.push({ ts, duid: 'SUNNY1', mw: round2(190 * sun) });
    raw.ic.push({ ts, id: 'V-SA', mw: round2(200 * Math.cos(i / 70)), exp: 600, imp: -500 });
    raw.ic.push({ ts, id: 'NSW1-QLD1', mw: round2(-300 + 100 * Math.sin(i / 33)), exp: 700, imp: -1000 });
    if (ts % 1800 === 0) {
      for (const region of ['NSW1', 'SA1', 'QLDC']) {
        raw.rooftop.push({ ts, region, type: 'MEASUREMENT', mw: round2((region === 'SA1' ? 900 : 3000) * sun) });
      }
      raw.rooftop.push({ ts, region: 'SA1', type: 'SATELLITE', mw: 12345 }); // must lose to MEASUREMENT
    }
  }
  return raw;
}
const round2 = (x: number) => Math.round(x * 100) / 100;

export interface TestStore {
  dir: string;
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  close(): void;
}

/** Opens a fresh store in a temp dir; `fill` writes the synthetic rows (and rollups) into it. */
export async function openTestStore(): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'nemlive-cat-'));
  const { instance } = await openStore({ dataDir: dir, threads: 1 });
  const conn = await instance.connect();
  return {
    dir,
    instance,
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function fill(conn: DuckDBConnection, raw: Raw): Promise<void> {
  const values = (rows: unknown[][]) =>
    rows
      .map((r) => `(${r.map((v) => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v))).join(',')})`)
      .join(',');
  await conn.run(
    `INSERT INTO units VALUES ${values(UNITS.map((u) => [u.duid, u.station, u.region, u.fuel, 'x', 'p', 'GENERATOR', u.cap, null]))}`,
  );
  await conn.run(`INSERT INTO price VALUES ${values(raw.price.map((r) => [r.ts, r.region, r.rrp, r.demand]))}`);
  await conn.run(`INSERT INTO scada VALUES ${values(raw.scada.map((r) => [r.ts, r.duid, r.mw]))}`);
  await conn.run(`INSERT INTO interconnector VALUES ${values(raw.ic.map((r) => [r.ts, r.id, r.mw, r.exp, r.imp, 0]))}`);
  await conn.run(`INSERT INTO rooftop VALUES ${values(raw.rooftop.map((r) => [r.ts, r.region, r.type, r.mw]))}`);
  const last = Math.max(...raw.price.map((p) => p.ts));
  await refreshRollups(conn, T0 - 1800, last + 1800);
}
