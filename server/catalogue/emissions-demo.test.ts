// The emissions kinds on a 9-day demo: plausible against published figures (the NEM's emissions intensity was
// ~0.62–0.66 t/MWh in 2024: AEMO CDEII, Open Electricity), lower at the solar midday than at night, and consistent
// with each other and with sums over the raw SCADA written here.
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGIONS } from '../../shared/nem.ts';
import type { Kind } from '../../shared/kinds.ts';
import { ask, near, sum } from '../../test/util/catalogue.ts';
import { openTestStore, type TestStore } from '../../test/util/synthetic-data.ts';
import { readWatermark } from '../store/db.ts';
import { buildDemo } from '../store/demo.ts';
import { loadRegistry, SEED_REGISTRY } from '../store/registry.ts';
import type { QueryContext } from './index.ts';

const DAYS = 9;
let demo: TestStore;
let ctx: QueryContext;

beforeAll(async () => {
  demo = await openTestStore();
  await loadRegistry(demo.conn, SEED_REGISTRY);
  await buildDemo(demo.conn, { days: DAYS });
  const wm = await readWatermark(demo.conn);
  ctx = { conn: demo.conn, watermark: wm!.watermark, firstTs: wm!.firstTs };
});
afterAll(() => demo?.close());

const q = <K extends Kind>(kind: K, params: Record<string, unknown> = {}) => ask(ctx, kind, params);
const all = async (conn: DuckDBConnection, sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();
const dayOf = (ts: number) => Math.floor((ts - 300 + 36000) / 86400) * 86400 - 36000;

describe('emissions on the demo', () => {
  it("puts the NEM's intensity within the published range, lower at midday than at night", async () => {
    const r = await q('emissions.history', { region: 'NEM', range: 'all' });
    const intensity = r.totalT / r.totalMWh;
    console.log(`demo NEM intensity over ${DAYS} days: ${intensity.toFixed(3)} t/MWh`);
    expect(intensity).toBeGreaterThan(0.4);
    expect(intensity).toBeLessThan(0.8);
    const { hourly } = await q('emissions.compare', { region: 'NEM' });
    const at = (hours: number[]) => sum(hours.map((h) => hourly.series.last7[h]!)) / hours.length;
    console.log(`demo NEM intensity by hour: ${hourly.series.last7.map((v) => v?.toFixed(2)).join(' ')}`);
    expect(at([11, 12, 13])).toBeLessThan(at([1, 2, 3]) - 0.05);
    expect(at([11, 12, 13])).toBeLessThan(at([19, 20, 21]) - 0.05);
    // the regions add up to the NEM
    let regionT = 0;
    for (const region of REGIONS) regionT += (await q('emissions.history', { region, range: 'all' })).totalT;
    near(regionT, r.totalT, 0.51);
  });

  it("compares today with the mean of the previous seven days' history", async () => {
    const c = await q('emissions.compare', { region: 'NEM' });
    const today = dayOf(ctx.watermark);
    expect(c.last7.days).toBe(7);
    expect(c.last30.days).toBe(DAYS - 1);
    const h = await q('emissions.history', { region: 'NEM', from: today - 7 * 86400, to: today, resolution: '1d' });
    expect(h.time.length).toBe(7);
    const perDay = h.time.map((_, i) => sum(Object.values(h.series).map((col) => col[i] ?? 0)));
    near(c.last7.t, sum(perDay) / 7, 0.51);
    near(c.last7.intensity, h.totalT / h.totalMWh, 0.00006);
    const t = await q('emissions.history', { region: 'NEM', from: today, to: ctx.watermark });
    near(c.today.t, t.totalT, 0.051);
  });

  it('ranks stations by tonnes, as the raw SCADA and factors give them', async () => {
    const r = await q('emissions.stations', { range: '7d', limit: 5 });
    expect(r.rows).toHaveLength(5);
    const want = await all(
      demo.conn,
      `SELECT u.station, sum(greatest(s.mw, 0) * f.factor) / 12 AS t, sum(s.mw) / 12 AS mwh
       FROM scada s JOIN units u ON u.duid = s.duid JOIN unit_factor f ON f.duid = s.duid
       WHERE s.ts > ${ctx.watermark - 7 * 86400} AND s.ts <= ${ctx.watermark}
       GROUP BY u.region, u.fuel, u.station ORDER BY t DESC LIMIT 5`,
    );
    expect(r.rows.map((x) => x.station)).toEqual(want.map((x) => x.station));
    r.rows.forEach((row, i) => {
      near(row.t, Number(want[i].t), 0.51);
      near(row.mwh, Number(want[i].mwh), 0.51);
      near(sum(row.units.map((u) => u.t)), row.t, 0.051 * row.units.length);
      expect(row.intensity).toBeGreaterThan(0.3);
      expect(row.intensity).toBeLessThan(1.6);
    });
    const coal = r.rows.filter((x) => x.fuel === 'Coal');
    expect(coal.length).toBeGreaterThan(0); // coal stations are the largest emitters
  });
});
