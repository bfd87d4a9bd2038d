// Rooftop PV at the live edge: half-hourly and published after the dispatch data, so the newest intervals have none.
// Their rooftop is the region's last value carried forward and marked, never a dip in renewable share or a false
// demand record, and the real value, when its file comes, replaces it exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rooftopActual } from '../../bench/nemweb/files.ts';
import { ingestBuffer } from '../store/ingest.ts';
import { refreshRollups } from '../store/rollups.ts';
import type { QueryContext } from './index.ts';
import { ask } from '../../test/util/catalogue.ts';
import { fill, openTestStore, rawRows, T0, UNITS, type Raw, type TestStore } from '../../test/util/synthetic-data.ts';
import type { Kind } from '../../shared/kinds.ts';

// The last interval with its rooftop published: 12:00 NEM on the second day, a half-hour end at midday.
const N = 33 * 12;
const LAST_ROOF = T0 + N * 300;
const T1 = LAST_ROOF + 300;
const T2 = LAST_ROOF + 600;
const EXTRA_DEMAND = 5000;

/** Interval N's price, SCADA and flow rows again at T1 and T2 (T2 with far higher NSW demand); no rooftop. */
function edgeRows(raw: Raw): Raw {
  const copy = (ts: number, bump: number): Raw => ({
    price: raw.price
      .filter((p) => p.ts === LAST_ROOF)
      .map((p) => ({ ...p, ts, demand: p.demand + (p.region === 'NSW1' ? bump : 0) })),
    scada: raw.scada.filter((s) => s.ts === LAST_ROOF).map((s) => ({ ...s, ts })),
    ic: raw.ic.filter((x) => x.ts === LAST_ROOF).map((x) => ({ ...x, ts })),
    rooftop: [],
  });
  const a = copy(T1, 0);
  const b = copy(T2, EXTRA_DEMAND);
  return {
    price: [...a.price, ...b.price],
    scada: [...a.scada, ...b.scada],
    ic: [...a.ic, ...b.ic],
    rooftop: [],
  };
}

/** Appends rows as an ingest of those intervals' files does: raw rows, then the rollups of their intervals. */
async function append(store: TestStore, rows: Raw): Promise<void> {
  const v = (xs: unknown[][]) => xs.map((r) => `(${r.map((x) => (typeof x === 'string' ? `'${x}'` : x)).join(',')})`);
  await store.conn.run(`INSERT INTO price VALUES ${v(rows.price.map((p) => [p.ts, p.region, p.rrp, p.demand]))}`);
  await store.conn.run(`INSERT INTO scada VALUES ${v(rows.scada.map((s) => [s.ts, s.duid, s.mw]))}`);
  await store.conn.run(
    `INSERT INTO interconnector VALUES ${v(rows.ic.map((x) => [x.ts, x.id, x.mw, x.exp, x.imp, 0]))}`,
  );
  await refreshRollups(store.conn, LAST_ROOF, T2);
}

const raw = rawRows(N);
const edge = edgeRows(raw);
const roofAt = (region: string, ts: number) =>
  raw.rooftop.find((r) => r.region === region && r.ts === ts && r.type === 'MEASUREMENT')!.mw;
/** Published later for the half hour ending LAST_ROOF + 1800 (T1 and T2 lie in it): different from the carried. */
const REAL = { NSW1: roofAt('NSW1', LAST_ROOF) + 100, SA1: roofAt('SA1', LAST_ROOF) + 40 };

let store: TestStore;
let ctx: QueryContext;
const q = <K extends Kind>(kind: K, p: Record<string, unknown> = {}) => ask(ctx, kind, p);

beforeAll(async () => {
  store = await openTestStore();
  await fill(store.conn, raw);
  await append(store, edge);
  ctx = { conn: store.conn, watermark: T2, firstTs: T0 + 300 };
}, 60_000);
afterAll(() => store?.close());

describe('rooftop at the live edge', () => {
  it('carries the last half hour forward and marks the points that hold it, in every kind that counts rooftop', async () => {
    expect(roofAt('NSW1', LAST_ROOF)).toBeGreaterThan(1000); // midday: a missing rooftop would show
    const gen = await q('generation.byFuel', { region: 'NEM', range: '24h', resolution: '5m' });
    const i0 = gen.time.indexOf(LAST_ROOF);
    const roof = roofAt('NSW1', LAST_ROOF) + roofAt('SA1', LAST_ROOF);
    expect(gen.series['Rooftop Solar'].slice(i0)).toEqual([roof, roof, roof].map(Math.round));
    expect(gen.rooftopEstimated).toEqual([T1, T2]);
    for (const kind of ['renewables.share', 'demand.history', 'emissions.history'] as const) {
      expect((await q(kind, { region: 'NEM', range: '24h' })).rooftopEstimated, kind).toEqual([T1, T2]);
    }
    // a region's answer marks its own carried values only; a window before the edge has none
    expect((await q('renewables.share', { region: 'SA1', range: '24h' })).rooftopEstimated).toEqual([T1, T2]);
    const before = await q('renewables.share', { region: 'NEM', from: LAST_ROOF - 3600, to: LAST_ROOF });
    expect(before).not.toHaveProperty('rooftopEstimated');
    // a 30-minute answer marks the bucket holding them
    const half = await q('renewables.share', { region: 'NEM', range: '7d', resolution: '30m' });
    expect(half.rooftopEstimated).toEqual([LAST_ROOF + 1800]);
    const mix = await q('generation.mix', { region: 'NEM' });
    expect(mix.time).toBe(T2);
    expect(mix.rooftopEstimated).toBe(true);
  });

  it('an interval without rooftop does not lower renewable share against the previous one', async () => {
    const share = await q('renewables.share', { region: 'NEM', range: '24h', resolution: '5m' });
    const i0 = share.time.indexOf(LAST_ROOF);
    const [s0, s1, s2] = share.series.share.slice(i0);
    expect(s1).toBe(s0); // T1 repeats LAST_ROOF's SCADA: the same share, not a dip
    expect(s2).toBe(s0);
    // independently, from the raw rows: with rooftop left out the share would have dropped
    const gen = (ts: number) => {
      let renewable = 0;
      let total = 0;
      for (const s of edge.scada.filter((x) => x.ts === ts)) {
        const fuel = UNITS.find((u) => u.duid === s.duid)!.fuel;
        const mw = Math.max(0, s.mw);
        total += mw;
        if (fuel === 'Wind' || fuel === 'Solar') renewable += mw;
      }
      return { renewable, total };
    };
    const g = gen(T1);
    const roof = roofAt('NSW1', LAST_ROOF) + roofAt('SA1', LAST_ROOF);
    expect(s1).toBeCloseTo((100 * (g.renewable + roof)) / (g.total + roof), 2);
    expect(s1!).toBeGreaterThan((100 * g.renewable) / g.total + 5);
  });

  it('sets no demand record with a carried value, and says the latest is estimated', async () => {
    const under = await q('demand.records', { region: 'NEM', series: 'underlying' });
    expect(under.latest?.time).toBe(T2);
    expect(under.latest?.rooftopEstimated).toBe(true);
    // T2's underlying demand is the highest in the window, but it holds a carried rooftop value: no record
    expect(under.latest!.mw).toBeGreaterThan(under.max!.mw);
    expect(under.max!.time).toBeLessThan(T1);
    expect(under.maxTime.filter((t) => t !== null && t > LAST_ROOF)).toEqual([]);
    // operational demand holds no rooftop: T2 is its record
    const op = await q('demand.records', { region: 'NEM', series: 'operational' });
    expect(op.max!.time).toBe(T2);
    expect(op.latest).not.toHaveProperty('rooftopEstimated');
  });

  it('replaces the carried value with the real one when its file comes, exactly as if it had come first', async () => {
    const file = rooftopActual(LAST_ROOF + 1800, { ...REAL, QLDC: 50 });
    const report = await ingestBuffer(store.conn, file.name, file.bytes);
    expect(report.rows.rooftop).toBe(3);
    const gen = await q('generation.byFuel', { region: 'NEM', range: '24h', resolution: '5m' });
    const i1 = gen.time.indexOf(T1);
    expect(gen.series['Rooftop Solar'].slice(i1)).toEqual([REAL.NSW1 + REAL.SA1, REAL.NSW1 + REAL.SA1].map(Math.round));
    expect(gen).not.toHaveProperty('rooftopEstimated');
    expect(await q('generation.mix', { region: 'NEM' })).not.toHaveProperty('rooftopEstimated');
    const under = await q('demand.records', { region: 'NEM', series: 'underlying' });
    expect(under.max!.time).toBe(T2); // now real: T2 is the record
    expect(under.latest).not.toHaveProperty('rooftopEstimated');
    expect((await store.conn.runAndReadAll('SELECT count(*)::INT FROM rooftop_carried')).getRowsJS()).toEqual([[0]]);

    // the same rows written in one go (rooftop first) give the same rollups, bit for bit
    const fresh = await openTestStore();
    try {
      await fill(fresh.conn, {
        price: [...raw.price, ...edge.price],
        scada: [...raw.scada, ...edge.scada],
        ic: [...raw.ic, ...edge.ic],
        rooftop: [
          ...raw.rooftop,
          ...Object.entries({ ...REAL, QLDC: 50 }).map(([region, mw]) => ({
            ts: LAST_ROOF + 1800,
            region,
            type: 'MEASUREMENT',
            mw,
          })),
        ],
      });
      const digest = async (s: TestStore, t: string) =>
        (
          await s.conn.runAndReadAll(
            `SELECT count(*)::INT, sum(hash(ts, region, fuel, mw, gen_mw, revenue, co2))::VARCHAR FROM ${t}`,
          )
        ).getRowsJS();
      for (const t of ['gen_5m', 'gen_30m', 'gen_1d'])
        expect(await digest(store, t), t).toEqual(await digest(fresh, t));
    } finally {
      fresh.close();
    }
  });
});
