// The battery kinds on a 4-day demo store (its batteries have SCADA and AEMO-style ENERGY_STORAGE), every figure
// checked against sums computed here in TypeScript from the raw scada, price, unit_dispatch and units rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, readWatermark } from '../store/db.ts';
import { buildDemo } from '../store/demo.ts';
import { loadRegistry, SEED_REGISTRY } from '../store/registry.ts';
import { ask, near, sum } from '../../test/util/catalogue.ts';
import type { BatteryRow } from '../../shared/kinds/batteries.ts';
import { dayOf } from './window.ts';
import type { QueryContext } from './index.ts';

const DAYS = 4;
const root = mkdtempSync(join(tmpdir(), 'nem-batteries-'));
let instance: DuckDBInstance;
let conn: DuckDBConnection;
let ctx: QueryContext;

interface Unit {
  duid: string;
  region: string;
  storage_mwh: number | null;
}
let units: Unit[];
/** Each battery's raw SCADA rows (ts, mw) in time order, and each region's RRP by interval. */
const scada = new Map<string, { ts: number; mw: number }[]>();
const rrp = new Map<string, number>();

const all = async <T>(sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as T[];

beforeAll(async () => {
  ({ instance } = await openStore({ dataDir: join(root, 'a'), threads: 2 }));
  conn = await instance.connect();
  await loadRegistry(conn, SEED_REGISTRY);
  await buildDemo(conn, { days: DAYS });
  const wm = (await readWatermark(conn))!;
  ctx = { conn, watermark: wm.watermark, firstTs: wm.firstTs };
  units = await all<Unit>(`SELECT duid, region, storage_mwh FROM units WHERE fuel = 'Battery' ORDER BY duid`);
  const duids = units.map((u) => `'${u.duid}'`).join(',');
  for (const r of await all<{ ts: number; duid: string; mw: number }>(
    `SELECT ts, duid, mw FROM scada WHERE duid IN (${duids}) ORDER BY duid, ts`,
  )) {
    if (!scada.has(r.duid)) scada.set(r.duid, []);
    scada.get(r.duid)!.push({ ts: r.ts, mw: r.mw });
  }
  for (const p of await all<{ ts: number; region: string; rrp: number }>('SELECT ts, region, rrp FROM price'))
    rrp.set(`${p.ts}|${p.region}`, p.rrp);
});

afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
  rmSync(root, { recursive: true, force: true });
});

/** A battery's totals over (from, to], from its raw rows. */
function totals(u: Unit, from: number, to: number) {
  let inMwh = 0;
  let outMwh = 0;
  let cost = 0;
  let revenue = 0;
  for (const { ts, mw } of scada.get(u.duid) ?? []) {
    if (ts <= from || ts > to) continue;
    const price = rrp.get(`${ts}|${u.region}`)!;
    if (mw < 0) {
      inMwh += -mw / 12;
      cost += (-mw / 12) * price;
    } else {
      outMwh += mw / 12;
      revenue += (mw / 12) * price;
    }
  }
  return { inMwh, outMwh, cost, revenue };
}

describe('batteries.table', () => {
  // Whole NEM days (read from battery_1d), and a window with partial days at both ends (their SCADA).
  it.each([
    [2 * 86400, 0],
    [2 * 86400 + 3 * 3600 + 25 * 60, 5 * 3600 + 10 * 60],
  ])("equals each battery's raw SCADA × price sums over (wm − %i, wm − %i]", async (back, end) => {
    const from = ctx.watermark - back;
    const to = ctx.watermark - end;
    const t = await ask(ctx, 'batteries.table', { from, to });
    const byDuid = new Map(t.rows.map((r) => [r.duid, r]));
    expect(t.rows.length).toBe(scada.size);
    let moving = 0;
    for (const u of units.filter((x) => scada.has(x.duid))) {
      const row = byDuid.get(u.duid)!;
      const x = totals(u, from, to);
      near(row.inMwh, x.inMwh, 0.051);
      near(row.outMwh, x.outMwh, 0.051);
      near(row.netRevenue, x.revenue - x.cost, 0.51);
      if (x.inMwh > 0) near(row.chargePrice, x.cost / x.inMwh);
      if (x.outMwh > 0) near(row.dischargePrice, x.revenue / x.outMwh);
      if (x.inMwh > 0 && x.outMwh > 0) near(row.spread, x.revenue / x.outMwh - x.cost / x.inMwh, 0.011);
      if (u.storage_mwh) near(row.cycles, x.outMwh / u.storage_mwh);
      else expect(row.cycles).toBeNull();
      if (x.inMwh > 0 && x.outMwh > 0) moving++;
    }
    expect(moving).toBeGreaterThan(40);
  });

  it("reports AEMO's latest ENERGY_STORAGE as the state of charge, with its interval", async () => {
    const t = await ask(ctx, 'batteries.table', { range: '24h' });
    const latest = await all<{ duid: string; ts: number; soc: number }>(`
      SELECT duid, ts, energy_storage AS soc FROM unit_dispatch WHERE energy_storage IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY duid ORDER BY ts DESC) = 1`);
    expect(latest.length).toBeGreaterThan(40);
    for (const l of latest) {
      const row = t.rows.find((r) => r.duid === l.duid)!;
      expect(row).toMatchObject({ socSource: 'aemo', socTs: l.ts, socClamped: false });
      near(row.socMwh, l.soc, 0.051);
      const storage = units.find((u) => u.duid === l.duid)!.storage_mwh;
      if (storage) near(row.socPct, (100 * l.soc) / storage, 0.051);
      else expect(row.socPct).toBeNull(); // no registered storage MWh: no percentage
    }
  });
});

describe('batteries.fleet', () => {
  it('sums the region’s batteries per interval: discharging, charging and AEMO’s state of charge', async () => {
    const f = await ask(ctx, 'batteries.fleet', { region: 'SA1', range: '24h', resolution: '5m' });
    const sa = units.filter((u) => u.region === 'SA1');
    const soc = await all<{ ts: number; soc: number; storage: number }>(`
      SELECT d.ts, sum(d.energy_storage) AS soc, sum(u.storage_mwh) AS storage FROM unit_dispatch d JOIN units u USING (duid)
      WHERE u.region = 'SA1' AND u.fuel = 'Battery' AND u.storage_mwh > 0 AND d.energy_storage IS NOT NULL GROUP BY d.ts`);
    const socAt = new Map(soc.map((s) => [s.ts, s]));
    f.time.forEach((ts, i) => {
      const mw = sa.map((u) => scada.get(u.duid)?.find((s) => s.ts === ts)?.mw ?? 0);
      near(f.series.discharging[i], sum(mw.map((m) => Math.max(m, 0))), 0.051);
      near(f.series.charging[i], sum(mw.map((m) => Math.min(m, 0))), 0.051);
      near(f.socMwh[i], socAt.get(ts)!.soc, 0.051);
      near(f.storageMwh[i], socAt.get(ts)!.storage, 0.051);
    });
    const last = f.time.length - 1;
    expect(f.now).toMatchObject({ ts: ctx.watermark, socTs: ctx.watermark });
    near(f.now!.dischargingMw, f.series.discharging[last]!, 0.51);
    near(f.now!.chargingMw, f.series.charging[last]!, 0.51);
    near(f.now!.socPct, (100 * socAt.get(ctx.watermark)!.soc) / socAt.get(ctx.watermark)!.storage, 0.051);
  });

  it('finds AEMO’s latest state of charge up to a week back when the last days have none (NEXT_DAY_DISPATCH late)', async () => {
    const gap = 3 * 86400; // past the first, shorter look back
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run(`UPDATE unit_dispatch SET energy_storage = NULL WHERE ts > ${ctx.watermark - gap}`);
      const f = await ask(ctx, 'batteries.fleet', { region: 'VIC1', range: '24h' });
      const [raw] = await all<{ soc: number; storage: number }>(`
        SELECT sum(d.energy_storage) AS soc, sum(u.storage_mwh) AS storage FROM unit_dispatch d JOIN units u USING (duid)
        WHERE u.region = 'VIC1' AND u.fuel = 'Battery' AND u.storage_mwh > 0 AND d.ts = ${ctx.watermark - gap}
          AND d.energy_storage IS NOT NULL`);
      expect(raw.storage).toBeGreaterThan(0);
      expect(f.now).toMatchObject({ ts: ctx.watermark, socTs: ctx.watermark - gap });
      near(f.now!.socMwh, raw.soc, 0.51);
      near(f.now!.socPct, (100 * raw.soc) / raw.storage, 0.051);
      await conn.run(`UPDATE unit_dispatch SET energy_storage = NULL WHERE ts > ${ctx.watermark - 8 * 86400}`);
      const none = await ask(ctx, 'batteries.fleet', { region: 'VIC1', range: '24h' });
      expect(none.now).toMatchObject({ socTs: null, socMwh: null, socPct: null });
    } finally {
      await conn.run('ROLLBACK');
    }
  });

  it("per day: Σ over batteries of each one's daily mean ENERGY_STORAGE (battery_1d, and raw for the last day)", async () => {
    const f = await ask(ctx, 'batteries.fleet', { region: 'QLD1', range: '7d', resolution: '1d' });
    const raw = await all<{ ts: number; duid: string; soc: number; storage: number }>(`
      SELECT d.ts, d.duid, d.energy_storage AS soc, u.storage_mwh AS storage FROM unit_dispatch d JOIN units u USING (duid)
      WHERE u.region = 'QLD1' AND u.fuel = 'Battery' AND u.storage_mwh > 0 AND d.energy_storage IS NOT NULL`);
    const per = new Map<string, { sum: number; n: number; storage: number }>();
    for (const r of raw) {
      const k = `${dayOf(r.ts)}|${r.duid}`;
      const x = per.get(k) ?? { sum: 0, n: 0, storage: r.storage };
      x.sum += r.soc;
      x.n++;
      per.set(k, x);
    }
    const day = new Map<number, { soc: number; storage: number }>();
    for (const [k, x] of per) {
      const d = Number(k.split('|')[0]);
      const y = day.get(d) ?? { soc: 0, storage: 0 };
      y.soc += x.sum / x.n;
      y.storage += x.storage;
      day.set(d, y);
    }
    expect(f.time.length).toBeGreaterThanOrEqual(DAYS);
    f.time.forEach((ts, i) => {
      const want = day.get(ts);
      if (!want) return expect(f.socMwh[i]).toBeNull();
      near(f.socMwh[i], want.soc, 0.051);
      near(f.storageMwh[i], want.storage, 0.051);
    });
  });

  it('the NEM is the sum of the regions, bucket by bucket', async () => {
    const nem = await ask(ctx, 'batteries.fleet', { range: '7d', resolution: '1d' });
    const regions = await Promise.all(
      ['NSW1', 'QLD1', 'VIC1', 'SA1', 'TAS1'].map((region) =>
        ask(ctx, 'batteries.fleet', { region, range: '7d', resolution: '1d' }),
      ),
    );
    nem.time.forEach((_, i) => {
      near(nem.series.discharging[i], sum(regions.map((r) => r.series.discharging[i] ?? 0)), 0.3);
      near(nem.socMwh[i], sum(regions.map((r) => r.socMwh[i] ?? 0)), 0.3);
    });
  });
});

describe('batteries.arbitrage', () => {
  it("its days add up to the table's totals over the same days", async () => {
    const to = dayOf(ctx.watermark);
    const from = to - 2 * 86400;
    const a = await ask(ctx, 'batteries.arbitrage', { from, to });
    expect(a.time).toEqual([from, from + 86400]);
    const t = await ask(ctx, 'batteries.table', { from, to });
    const col = (k: keyof typeof a.series) => sum(a.series[k].map((v) => v ?? 0));
    const rows = (f: (r: BatteryRow) => number) => sum(t.rows.map(f));
    near(
      col('inMwh'),
      rows((r) => r.inMwh),
      5,
    );
    near(
      col('outMwh'),
      rows((r) => r.outMwh),
      5,
    );
    near(
      col('chargeCost'),
      rows((r) => (r.chargePrice ?? 0) * r.inMwh),
      100,
    );
    near(
      col('dischargeRevenue'),
      rows((r) => (r.dischargePrice ?? 0) * r.outMwh),
      100,
    );
    near(
      col('net'),
      rows((r) => r.netRevenue),
      50,
    );
    // and each day is its raw rows' sum
    const day0 = sum(units.map((u) => totals(u, from, from + 86400).revenue));
    near(a.series.dischargeRevenue[0], day0, 1);
    expect(a.fleet.units).toBe(units.length);
  });
});

describe('battery.soc', () => {
  it("one battery's MW and AEMO's state of charge", async () => {
    const s = await ask(ctx, 'battery.soc', { duid: 'ERB01', range: '24h', resolution: '5m' });
    const raw = await all<{ ts: number; soc: number }>(
      `SELECT ts, energy_storage AS soc FROM unit_dispatch WHERE duid = 'ERB01'`,
    );
    const socAt = new Map(raw.map((r) => [r.ts, r.soc]));
    const mwAt = new Map(scada.get('ERB01')!.map((r) => [r.ts, r.mw]));
    expect(s.socSource).toBe('aemo');
    s.time.forEach((ts, i) => {
      near(s.series.mw[i], mwAt.get(ts)!);
      near(s.socMwh[i], socAt.get(ts)!, 0.051);
    });
  });

  it('daily points are the days’ means of MW and of AEMO’s state of charge (battery_1d, raw for the last day)', async () => {
    const s = await ask(ctx, 'battery.soc', { station: 'Supernode BESS', range: '7d', resolution: '1d' });
    expect(s.duids).toEqual(['SNB01', 'SNB02']);
    const raw = await all<{ ts: number; mw: number; soc: number }>(`
      SELECT s.ts, sum(s.mw) AS mw, sum(d.energy_storage) AS soc FROM scada s JOIN unit_dispatch d USING (ts, duid)
      WHERE s.duid IN ('SNB01', 'SNB02') GROUP BY s.ts`);
    s.time.forEach((day, i) => {
      const rows = raw.filter((r) => dayOf(r.ts) === day);
      if (rows.length === 0) return expect(s.series.mw[i]).toBeNull();
      near(s.series.mw[i], sum(rows.map((r) => r.mw)) / rows.length, 0.011);
      near(s.socMwh[i], sum(rows.map((r) => r.soc)) / rows.length, 0.051);
    });
    expect(s.socSource).toBe('aemo');
  });

  it('refuses a unit that is not a battery', async () => {
    await expect(ask(ctx, 'battery.soc', { duid: 'ER01' })).rejects.toThrow(/no battery with DUID "ER01"/);
  });
});

// Last: it removes a battery's ENERGY_STORAGE from the store.
describe('estimated state of charge', () => {
  it('without AEMO’s value, integrates SCADA from the window start, within 0 and the storage MWh', async () => {
    await conn.run(`DELETE FROM unit_dispatch WHERE duid = 'ERB01'`);
    const storage = units.find((u) => u.duid === 'ERB01')!.storage_mwh!;
    for (const range of ['24h', '7d']) {
      const s = await ask(ctx, 'battery.soc', { duid: 'ERB01', range, resolution: '5m' });
      expect(s.socSource).toBe('estimated');
      // E(t) = Σ −MW × 5/60 from the window's start; the lowest point (or the start) is empty; capped at storage
      const rows = scada.get('ERB01')!.filter((r) => r.ts > s.time[0] - 300);
      let e = 0;
      const es = rows.map((r) => (e += -r.mw / 12));
      const low = Math.min(0, ...es);
      const expected = es.map((x) => Math.min(storage, x - low));
      for (const v of s.socMwh) expect(v! >= 0 && v! <= storage).toBe(true);
      s.socMwh.forEach((v, i) => near(v, expected[i], 0.051));

      const t = await ask(ctx, 'batteries.table', { regions: ['NSW1'], range });
      const row = t.rows.find((r) => r.duid === 'ERB01')!;
      expect(row.socSource).toBe('estimated');
      expect(row.socTs).toBe(ctx.watermark);
      near(row.socMwh, expected.at(-1)!, 0.051);
      expect(row.socClamped).toBe(es.at(-1)! - low > storage);
      expect(row.socMwh! >= 0 && row.socMwh! <= storage).toBe(true);
    }
  });
});
