// The catalogue's numbers checked against sums computed here, independently, from the raw rows the store holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kind } from '../../shared/kinds.ts';
import { ask, mean, MW, near, sum, syntheticStore } from '../../test/util/catalogue.ts';
import { QueryError, type QueryContext } from './index.ts';
import { nemHour, rawRows, T0, UNITS, WATERMARK, type Raw, type TestStore } from '../../test/util/synthetic-data.ts';

let store: TestStore;
let ctx: QueryContext;
const raw: Raw = rawRows();

beforeAll(async () => {
  ({ store, ctx } = await syntheticStore(raw));
});
afterAll(() => store?.close());

const q = <K extends Kind>(kind: K, params: Record<string, unknown> = {}) => ask(ctx, kind, params);
function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}
const inWin = (ts: number, from: number, to: number) => ts > from && ts <= to;
const rrpAt = new Map(raw.price.map((p) => [`${p.region}|${p.ts}`, p.rrp]));
const regionOf = new Map<string, string>(UNITS.map((u) => [u.duid, u.region]));
// A window that starts and ends mid-day, spanning two NEM midnights: totals mix daily rollups and 5-minute edges.
const FROM = T0 + 37 * 300 + 120; // not on the 5-minute grid either
const TO = T0 + 700 * 300;

describe('prices', () => {
  it('stats match mean, min, max, quantiles and counts of the raw intervals in (from, to]', async () => {
    const r = await q('prices.stats', { from: FROM, to: TO, regions: ['SA1', 'NSW1'] });
    expect(r.rows.map((x) => x.region)).toEqual(['NSW1', 'SA1']);
    for (const row of r.rows) {
      const ps = raw.price.filter((p) => p.region === row.region && inWin(p.ts, FROM, TO));
      const rrp = ps.map((p) => p.rrp);
      expect(row.count).toBe(ps.length);
      near(row.mean, mean(rrp));
      expect(row.min).toBe(Math.min(...rrp));
      expect(row.max).toBe(Math.max(...rrp));
      near(row.p5, quantile(rrp, 0.05));
      near(row.p50, quantile(rrp, 0.5));
      near(row.p95, quantile(rrp, 0.95));
      expect(row.negative).toBe(rrp.filter((x) => x < 0).length);
      expect(row.over300).toBe(rrp.filter((x) => x > 300).length);
      near(row.demandWeighted, sum(ps.map((p) => p.rrp * p.demand)) / sum(ps.map((p) => p.demand)));
    }
    expect(r.rows[1].negative).toBeGreaterThan(0);
    expect(r.rows[0].over300).toBeGreaterThan(0);
  });

  it('bands split the intervals and their contributions add up to the mean', async () => {
    const r = await q('prices.bands', { range: 'all', regions: 'SA1' });
    const rrp = raw.price.filter((p) => p.region === 'SA1').map((p) => p.rrp);
    const bands = [
      (x: number) => x < 0,
      (x: number) => x >= 0 && x <= 300,
      (x: number) => x > 300 && x <= 1000,
      (x: number) => x > 1000,
    ];
    const row = r.rows[0];
    bands.forEach((inBand, i) => {
      const members = rrp.filter(inBand);
      near(row.sharePct[i], (100 * members.length) / rrp.length);
      near(row.contribution[i], sum(members) / rrp.length);
    });
    near(row.mean, mean(rrp));
    expect(sum(row.contribution)).toBeCloseTo(row.mean, 1);
  });

  it('current gives the latest price, the previous one and the 1 h and 24 h means', async () => {
    const r = await q('prices.current');
    expect(r.time).toBe(WATERMARK);
    const nsw = r.rows.find((x) => x.region === 'NSW1')!;
    const series = raw.price.filter((p) => p.region === 'NSW1');
    expect(nsw.rrp).toBe(rrpAt.get(`NSW1|${WATERMARK}`));
    expect(nsw.prev).toBe(rrpAt.get(`NSW1|${WATERMARK - 300}`));
    near(nsw.avg1h, mean(series.filter((p) => p.ts > WATERMARK - 3600).map((p) => p.rrp)));
    near(nsw.avg24h, mean(series.filter((p) => p.ts > WATERMARK - 86400).map((p) => p.rrp)));
  });

  it('history is the raw series at 5 minutes and half-hour bucket means at 30 minutes', async () => {
    const five = await q('prices.history', { range: '24h', resolution: '5m', regions: ['SA1'] });
    expect(five.time[0]).toBe(WATERMARK - 86400 + 300);
    expect(five.time.at(-1)).toBe(WATERMARK);
    five.time.forEach((t, i) => expect(five.series.SA1[i]).toBe(rrpAt.get(`SA1|${t}`)));
    const half = await q('prices.history', { range: 'all', resolution: '30m', regions: ['NSW1'] });
    half.time.forEach((b, i) => {
      expect(b % 1800).toBe(0);
      const members = raw.price.filter((p) => p.region === 'NSW1' && inWin(p.ts, b - 1800, b)).map((p) => p.rrp);
      near(half.series.NSW1[i], mean(members));
    });
  });

  it('time of day averages by NEM hour of the interval', async () => {
    const r = await q('prices.timeOfDay', { range: 'all', regions: ['NSW1'] });
    for (const h of [0, 7, 12, 23]) {
      const members = raw.price.filter((p) => p.region === 'NSW1' && nemHour(p.ts) === h).map((p) => p.rrp);
      near(r.series.NSW1[h], mean(members));
    }
  });
});

describe('stations', () => {
  const unitTotals = (duids: string[], from: number, to: number) => {
    const rows = raw.scada.filter((s) => duids.includes(s.duid) && inWin(s.ts, from, to));
    const mwh = sum(rows.map((s) => s.mw / 12));
    const revenue = sum(rows.map((s) => (s.mw * rrpAt.get(`${regionOf.get(s.duid)}|${s.ts}`)!) / 12));
    return { mwh, revenue };
  };

  it("a unit's energy, revenue and average price received over a window with partial days", async () => {
    const r = await q('station.output', { duid: 'coal2', from: FROM, to: TO });
    const e = unitTotals(['COAL2'], FROM, TO);
    expect(r.duids).toEqual(['COAL2']);
    near(r.energyMwh, e.mwh, 0.051);
    near(r.revenue, e.revenue, 0.51);
    near(r.avgPriceReceived, e.revenue / e.mwh);
    const hours = (Math.floor(TO / 300) - Math.floor(FROM / 300)) / 12;
    near(r.capacityFactorPct, (100 * e.mwh) / (500 * hours));
    // the 5-minute series is the raw SCADA, with a gap where COAL2 did not report
    const coal2 = new Map(raw.scada.filter((s) => s.duid === 'COAL2').map((s) => [s.ts, s.mw]));
    expect(r.resolution).toBe('5m');
    r.time.forEach((t, i) => expect(r.series.mw[i]).toBe(coal2.get(t) ?? null));
    expect(r.series.mw).toContain(null);
  });

  it('the daily line of a whole station sums the mean MW of its units, the day holding the watermark too', async () => {
    const r = await q('station.output', { station: 'big coal', range: 'all', resolution: '1d' });
    const day = (ts: number) => Math.floor((ts - 300 + 36000) / 86400) * 86400 - 36000;
    const perUnitDay = new Map<string, number[]>();
    for (const s of raw.scada)
      if (s.duid.startsWith('COAL'))
        perUnitDay.set(`${s.duid}|${day(s.ts)}`, [...(perUnitDay.get(`${s.duid}|${day(s.ts)}`) ?? []), s.mw]);
    const expected = new Map<number, number>();
    for (const [k, mws] of perUnitDay)
      expected.set(Number(k.split('|')[1]), (expected.get(Number(k.split('|')[1])) ?? 0) + mean(mws));
    expect(r.time).toContain(day(WATERMARK));
    r.time.forEach((t, i) => near(r.series.mw[i], expected.get(t)!, 0.051));
  });

  it('a whole station sums its units; a battery that charges more than it discharges has no price received', async () => {
    const r = await q('station.output', { station: 'big coal', range: 'all' });
    expect(r.duids).toEqual(['COAL1', 'COAL2']);
    expect(r.capacityMw).toBe(1000);
    near(r.energyMwh, unitTotals(['COAL1', 'COAL2'], 0, WATERMARK).mwh, 0.051);
    const h = 18;
    const perTs = new Map<number, number>();
    for (const s of raw.scada) if (s.duid.startsWith('COAL')) perTs.set(s.ts, (perTs.get(s.ts) ?? 0) + s.mw);
    near(r.timeOfDay.series.mw[h], mean([...perTs].filter(([t]) => nemHour(t) === h).map(([, v]) => v)));
    const batt = await q('station.output', { duid: 'BATTA1', range: 'all' });
    const e = unitTotals(['BATTA1'], 0, WATERMARK);
    near(batt.energyMwh, e.mwh, 0.051);
    expect(e.mwh).toBeLessThan(0);
    expect(batt.avgPriceReceived).toBeNull();
    expect(batt.capacityFactorPct).toBeNull();
  });

  it('the table gives each station its GWh, revenue and utilisation over the exact window', async () => {
    const r = await q('stations.table', { from: FROM, to: TO });
    expect(r.rows.map((x) => `${x.region}/${x.fuel}/${x.station}`)).toEqual([
      'NSW1/Coal/Big Coal',
      'NSW1/Solar/Sunny Solar',
      'SA1/Wind/Alpha Wind Farm',
      'SA1/Battery/Alpha Battery',
    ]);
    for (const row of r.rows) {
      const e = unitTotals(row.duids, FROM, TO);
      near(row.gwh, e.mwh / 1000, 0.00051);
      near(row.revenue, e.revenue, 0.51);
    }
    const filtered = await q('stations.table', { from: FROM, to: TO, regions: ['SA1'], fuels: ['Wind'] });
    expect(filtered.rows.map((x) => x.station)).toEqual(['Alpha Wind Farm']);
  });

  it('search matches DUID or station name, exact DUID first, filtered by region', async () => {
    const r = await q('stations.search', { q: 'coal1' });
    expect(r.rows[0].duid).toBe('COAL1');
    const all = await q('stations.search', { q: 'Coal' });
    expect(all.rows.map((x) => x.duid).sort()).toEqual(['COAL1', 'COAL2']);
    const sa = await q('stations.search', { region: 'SA1' });
    expect(sa.rows.map((x) => x.duid)).toEqual(['WINDA1', 'BATTA1']); // by capacity
    expect((await q('stations.search', { q: "%' OR 1=1 --" })).rows).toEqual([]);
  });

  it('refuses an unknown DUID or station with a QueryError', async () => {
    await expect(q('station.output', { duid: 'NOPE1' })).rejects.toThrow(QueryError);
    await expect(q('station.output', { station: 'Nowhere' })).rejects.toThrow(/no station named "Nowhere"/);
  });
});

describe('interconnectors', () => {
  it('flows are the raw MW at 5 minutes and their means per bucket, with limits', async () => {
    const r = await q('interconnectors.flows', { region: 'SA1', range: 'all', resolution: '1d' });
    expect(Object.keys(r.series)).toEqual(['V-SA']);
    expect(r.links['V-SA']).toMatchObject({ from: 'VIC1', to: 'SA1' });
    const vsa = raw.ic.filter((x) => x.id === 'V-SA');
    r.time.forEach((d, i) => {
      const members = vsa.filter((x) => inWin(x.ts, d, d + 86400)).map((x) => x.mw);
      near(r.series['V-SA'][i], mean(members), MW);
    });
    expect(r.links['V-SA'].exportLimit.every((v) => v === 600)).toBe(true);
    const nem = await q('interconnectors.flows', { range: '24h', resolution: '5m' });
    expect(Object.keys(nem.series)).toEqual(['NSW1-QLD1', 'V-SA']);
    const mean5 = mean(nem.series['NSW1-QLD1'].filter((v): v is number => v !== null));
    near(mean5, mean(raw.ic.filter((x) => x.id === 'NSW1-QLD1' && x.ts > WATERMARK - 86400).map((x) => x.mw)), MW);
  });
});

describe('generation', () => {
  // Independent model of the region × fuel × interval table: units by fuel, rooftop half-hours held over their
  // six intervals (MEASUREMENT, parent regions only; an interval with a price but no rooftop yet takes the region's
  // latest earlier half hour, at most two hours old), interconnector flow as net import.
  type G = { mw: number; gen: number };
  const model = new Map<string, G>(); // `${region}|${fuel}|${ts}`
  const add = (region: string, fuel: string, ts: number, mw: number, gen: number) => {
    const k = `${region}|${fuel}|${ts}`;
    const g = model.get(k) ?? { mw: 0, gen: 0 };
    model.set(k, { mw: g.mw + mw, gen: g.gen + gen });
  };
  for (const s of raw.scada) {
    const u = UNITS.find((x) => x.duid === s.duid)!;
    add(u.region, u.fuel, s.ts, s.mw, Math.max(0, s.mw));
  }
  for (const r of raw.rooftop) {
    if (r.type !== 'MEASUREMENT' || r.region === 'QLDC') continue;
    for (let k = 0; k < 6; k++)
      if (r.ts - k * 300 <= WATERMARK) add(r.region, 'Rooftop Solar', r.ts - k * 300, r.mw, Math.max(0, r.mw));
  }
  const carried: number[] = [];
  for (const p of raw.price) {
    if (model.has(`${p.region}|Rooftop Solar|${p.ts}`)) continue;
    const before = raw.rooftop.filter(
      (r) => r.region === p.region && r.type === 'MEASUREMENT' && r.ts < p.ts && r.ts >= p.ts - 7200,
    );
    if (before.length === 0) continue;
    const last = before.reduce((a, b) => (b.ts > a.ts ? b : a));
    add(p.region, 'Rooftop Solar', p.ts, last.mw, Math.max(0, last.mw));
    carried.push(p.ts);
  }
  for (const x of raw.ic) {
    const [from, to] = x.id === 'V-SA' ? ['VIC1', 'SA1'] : ['NSW1', 'QLD1'];
    add(from, 'Transmission', x.ts, -x.mw, 0);
    add(to, 'Transmission', x.ts, x.mw, 0);
  }
  const at = (region: string, fuel: string, ts: number) => model.get(`${region}|${fuel}|${ts}`);
  const energy = (region: string, fuel: string, from: number, to: number) => {
    let mwh = 0;
    let revenue = 0;
    for (const [k, g] of model) {
      const [r, f, t] = k.split('|');
      if (r === region && f === fuel && inWin(+t, from, to)) {
        mwh += g.mw / 12;
        revenue += (g.mw * (rrpAt.get(`${r}|${t}`) ?? 0)) / 12;
      }
    }
    return { mwh, revenue };
  };

  it('byFuel table: GWh, average MW and price received per fuel over a window with partial days', async () => {
    const r = await q('generation.byFuel', { region: 'SA1', from: FROM, to: TO });
    expect(r.table.map((x) => x.fuel)).toEqual(['Wind', 'Rooftop Solar', 'Battery', 'Transmission']);
    const intervals = Math.floor(TO / 300) - Math.floor(FROM / 300);
    for (const row of r.table) {
      const e = energy('SA1', row.fuel, FROM, TO);
      near(row.gwh, e.mwh / 1000, 0.00051);
      near(row.avgMw, (e.mwh * 12) / intervals);
      if (e.mwh > 0) near(row.vwPrice, e.revenue / e.mwh);
      else expect(row.vwPrice).toBeNull();
    }
    const gens = ['Wind', 'Rooftop Solar', 'Battery'].map((f) => {
      let g = 0;
      for (const [k, v] of model) if (k.startsWith(`SA1|${f}|`) && inWin(+k.split('|')[2], FROM, TO)) g += v.gen;
      return g;
    });
    near(r.table[0].sharePct, (100 * gens[0]) / sum(gens));
    expect(r.table[3].sharePct).toBe(0); // imports are not generation
  });

  it('byFuel series at 5 minutes is the model; the NEM sums regions without Transmission and carries its price', async () => {
    const r = await q('generation.byFuel', { region: 'NEM', range: '24h' });
    expect(r.resolution).toBe('5m');
    expect(Object.keys(r.series)).toEqual(['Coal', 'Wind', 'Solar', 'Rooftop Solar', 'Battery']);
    r.time.forEach((t, i) => {
      near(r.series.Coal[i], at('NSW1', 'Coal', t)!.mw, MW);
      const rooftop = [at('NSW1', 'Rooftop Solar', t), at('SA1', 'Rooftop Solar', t)];
      // not yet published at the watermark: carried forward
      near(r.series['Rooftop Solar'][i], rooftop[0]!.mw + rooftop[1]!.mw, MW);
      const ps = raw.price.filter((p) => p.ts === t);
      near(r.price[i], sum(ps.map((p) => p.rrp * p.demand)) / sum(ps.map((p) => p.demand)));
    });
    expect(carried).toEqual([WATERMARK, WATERMARK]);
    expect(r.rooftopEstimated).toEqual([WATERMARK]);
    const day = await q('generation.byFuel', { region: 'SA1', range: 'all', resolution: '1d' });
    day.time.forEach((d, i) => {
      const members = raw.ic.filter((x) => x.id === 'V-SA' && inWin(x.ts, d, d + 86400)).map((x) => x.mw);
      near(day.series.Transmission[i], mean(members), MW);
    });
  });

  it('renewable share excludes battery charging and imports from the total, one definition in series and mix', async () => {
    const r = await q('renewables.share', { region: 'SA1', range: '24h', resolution: '5m' });
    const share = (t: number) => {
      const g = (f: string) => at('SA1', f, t)?.gen ?? 0;
      const total = g('Wind') + g('Rooftop Solar') + g('Battery');
      return (100 * (g('Wind') + g('Rooftop Solar'))) / total;
    };
    r.time.forEach((t, i) => near(r.series.share[i], share(t)));
    const mix = await q('generation.mix', { region: 'SA1' });
    expect(mix.time).toBe(WATERMARK);
    // rooftop is not published for the newest intervals: its latest half-hour stands in
    const lastRoof = Math.max(
      ...raw.rooftop.filter((x) => x.region === 'SA1' && x.type === 'MEASUREMENT').map((x) => x.ts),
    );
    expect(lastRoof).toBeLessThan(WATERMARK);
    const mw = Object.fromEntries(mix.fuels.map((f) => [f.fuel, f.mw]));
    near(mw['Rooftop Solar'], at('SA1', 'Rooftop Solar', lastRoof)!.mw);
    near(mw.Wind, at('SA1', 'Wind', WATERMARK)!.mw);
    near(mw.Transmission, at('SA1', 'Transmission', WATERMARK)!.mw);
    const gen =
      at('SA1', 'Wind', WATERMARK)!.gen +
      at('SA1', 'Battery', WATERMARK)!.gen +
      at('SA1', 'Rooftop Solar', lastRoof)!.gen;
    near(mix.totalMw, gen);
    near(mix.renewableSharePct, (100 * (gen - at('SA1', 'Battery', WATERMARK)!.gen)) / gen);
  });

  it('capacity utilisation is generation over the capacity of the units that reported', async () => {
    const r = await q('capacity.utilisation', { region: 'NSW1', range: '24h', resolution: '5m' });
    expect(r.capacityMw).toEqual({ Coal: 1000, Solar: 200 });
    r.time.forEach((t, i) => {
      near(r.series.Coal[i], (100 * at('NSW1', 'Coal', t)!.gen) / 1000);
      near(r.series.Solar[i], (100 * at('NSW1', 'Solar', t)!.gen) / 200);
    });
  });

  it('time of day averages the NEM total per NEM hour', async () => {
    const r = await q('generation.timeOfDay', { region: 'NEM', range: 'all' });
    for (const h of [0, 5, 12, 19]) {
      const ts = [...new Set(raw.scada.map((s) => s.ts))].filter((t) => nemHour(t) === h);
      near(r.series.Coal[h], mean(ts.map((t) => at('NSW1', 'Coal', t)!.mw)), MW);
      near(r.series.Wind[h], mean(ts.map((t) => at('SA1', 'Wind', t)!.mw)), MW);
    }
  });

  it('refuses a series with too many points', async () => {
    const from = T0 - 200 * 86400;
    await expect(q('generation.byFuel', { from, to: WATERMARK, resolution: '5m' })).resolves.toBeTruthy(); // clamped to the data
    const long = { ...ctx, firstTs: T0 - 200 * 86400 };
    await expect(ask(long, 'generation.byFuel', { range: 'all', resolution: '5m' })).rejects.toThrow(
      /resolution 5m over this window gives \d+ points/,
    );
  });
});

describe('demand', () => {
  it('operational is the price rows’ demand (the NEM’s their sum); underlying adds rooftop; buckets are means', async () => {
    const at5 = await q('demand.history', { region: 'NEM', from: FROM, to: TO, resolution: '5m' });
    const sa5 = await q('demand.history', { region: 'SA1', from: FROM, to: TO, resolution: '5m' });
    const roof = await q('generation.byFuel', { region: 'NEM', from: FROM, to: TO, resolution: '5m' });
    expect(at5.unit).toBe('MW');
    expect(at5.time.length).toBeGreaterThan(600);
    at5.time.forEach((ts, i) => {
      const ps = raw.price.filter((p) => p.ts === ts);
      near(at5.series.operational[i], sum(ps.map((p) => p.demand)), 0.051);
      near(sa5.series.operational[i], ps.find((p) => p.region === 'SA1')!.demand, 0.051);
      // Rooftop as the generation mix counts it (held over its half hour), so the two kinds agree.
      const rooftop = roof.series['Rooftop Solar']?.[roof.time.indexOf(ts)] ?? 0;
      near(at5.series.underlying[i], at5.series.operational[i]! + rooftop, MW + 0.051);
    });
    const at30 = await q('demand.history', {
      region: 'NEM',
      from: T0 + 36 * 1800,
      to: T0 + 72 * 1800,
      resolution: '30m',
    });
    const fine = await q('demand.history', {
      region: 'NEM',
      from: T0 + 36 * 1800,
      to: T0 + 72 * 1800,
      resolution: '5m',
    });
    at30.time.forEach((end, i) => {
      const inBucket = fine.time.map((ts, j) => (ts > end - 1800 && ts <= end ? j : -1)).filter((j) => j >= 0);
      near(at30.series.operational[i], mean(inBucket.map((j) => fine.series.operational[j]!)), 0.051);
    });
  });

  it('records: each hour of day’s highest and lowest 5-minute demand and when, today’s hourly means, the extremes', async () => {
    const r = await q('demand.records', { region: 'NEM' });
    expect(r.series).toBe('operational');
    // Independently: the NEM's demand per interval from the raw price rows.
    const byTs = new Map<number, number>();
    for (const p of raw.price) byTs.set(p.ts, (byTs.get(p.ts) ?? 0) + p.demand);
    const all = [...byTs].sort((a, b) => a[0] - b[0]);
    const today = Math.floor((WATERMARK - 300 + 36000) / 86400) * 86400 - 36000;
    for (let h = 0; h < 24; h++) {
      const at = all.filter(([ts]) => nemHour(ts) === h);
      const hi = Math.max(...at.map(([, mw]) => mw));
      const lo = Math.min(...at.map(([, mw]) => mw));
      near(r.hours.series.max[h], hi, MW);
      near(r.hours.series.min[h], lo, MW);
      expect(r.maxTime[h]).toBe(at.find(([, mw]) => mw === hi)![0]);
      expect(r.minTime[h]).toBe(at.find(([, mw]) => mw === lo)![0]);
      near(r.hours.series.mean[h], mean(at.map(([, mw]) => mw)), MW);
      const t = at.filter(([ts]) => ts > today);
      if (t.length) near(r.hours.series.today[h], mean(t.map(([, mw]) => mw)), MW);
      else expect(r.hours.series.today[h]).toBeNull();
    }
    const top = all.reduce((a, b) => (b[1] > a[1] ? b : a));
    const bottom = all.reduce((a, b) => (b[1] < a[1] ? b : a));
    expect(r.max).toEqual({ mw: Math.round(top[1]), time: top[0] });
    expect(r.min).toEqual({ mw: Math.round(bottom[1]), time: bottom[0] });
    expect(r.latest).toMatchObject({ time: WATERMARK, mw: Math.round(byTs.get(WATERMARK)!), hour: nemHour(WATERMARK) });
    expect(r.latest!.hourMax.mw).toBe(r.hours.series.max[nemHour(WATERMARK)]);
  });

  it('records agree with history: underlying extremes are the extremes of its 5-minute series', async () => {
    const r = await q('demand.records', { region: 'SA1', series: 'underlying', from: FROM, to: TO });
    const h = await q('demand.history', { region: 'SA1', from: FROM, to: TO, resolution: '5m' });
    const u = h.series.underlying.map((v, i) => [h.time[i], v!] as const);
    const top = u.reduce((a, b) => (b[1] > a[1] ? b : a));
    expect(r.max!.time).toBe(top[0]);
    near(r.max!.mw, top[1], MW + 0.051);
    expect(r.latest!.time).toBe(Math.floor(TO / 300) * 300);
  });
});
