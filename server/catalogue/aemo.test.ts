// The catalogue over real AEMO files (Source: AEMO): numbers checked against sums computed here straight from
// the fixture CSVs, parsed independently of the importer. HDWF2 (wind) and AGLHAL (gas), NSW1 and SA1 prices,
// VIC1-NSW1 flows, for 2026-04-01..04-03 and 04-29..04-30.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kind } from '../../shared/kinds.ts';
import { ask, mean, MW, near, sum } from '../../test/util/catalogue.ts';
import { ingestFiles } from '../store/ingest.ts';
import { readWatermark } from '../store/db.ts';
import type { QueryContext } from './index.ts';
import { openTestStore, type TestStore } from '../../test/util/synthetic-data.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/aemo');
// The monthly archives only: the older single-interval samples would stretch "all" back to 2019.
const ARCHIVES = readdirSync(FIXTURES)
  .filter((f) => /^PUBLIC_ARCHIVE.*\.zip$/i.test(f))
  .map((f) => join(FIXTURES, f));
const REGISTRY = join(FIXTURES, 'NEM-Registration-and-Exemption-List__PU_and_Scheduled_Loads.derived.csv');

/** D rows of one MMS table ("DISPATCH PRICE") as objects keyed by the I row's column names. */
function mmsRows(table: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const zip of ARCHIVES) {
    for (const bytes of Object.values(unzipSync(readFileSync(zip)))) {
      let cols: string[] | null = null;
      for (const line of new TextDecoder().decode(bytes).split(/\r?\n/)) {
        const f = line.split(',').map((x) => x.replace(/^"|"$/g, ''));
        if (f[0] === 'I') cols = `${f[1]} ${f[2]}` === table ? f : null;
        else if (f[0] === 'D' && cols && `${f[1]} ${f[2]}` === table)
          out.push(Object.fromEntries(cols.map((c, i) => [c, f[i]])));
      }
    }
  }
  return out;
}
/** "2026/04/01 00:05:00" in NEM time (UTC+10) → epoch seconds. */
const nemTime = (s: string) => {
  const [d, t] = s.split(' ');
  const [y, mo, da] = d.split('/').map(Number);
  const [h, mi, se] = t.split(':').map(Number);
  return Date.UTC(y, mo - 1, da, h, mi, se) / 1000 - 36000;
};

const price = mmsRows('DISPATCH PRICE')
  .filter((r) => r.INTERVENTION === '0')
  .map((r) => ({ ts: nemTime(r.SETTLEMENTDATE), region: r.REGIONID, rrp: Number(r.RRP) }));
const scada = mmsRows('DISPATCH UNIT_SCADA').map((r) => ({
  ts: nemTime(r.SETTLEMENTDATE),
  duid: r.DUID,
  mw: Number(r.SCADAVALUE),
}));
const flows = mmsRows('DISPATCH INTERCONNECTORRES')
  .filter((r) => r.INTERVENTION === '0')
  .map((r) => ({ ts: nemTime(r.SETTLEMENTDATE), id: r.INTERCONNECTORID, mw: Number(r.METEREDMWFLOW) }));
const rrpAt = new Map(price.map((p) => [`${p.region}|${p.ts}`, p.rrp]));

let store: TestStore;
let ctx: QueryContext;
beforeAll(async () => {
  store = await openTestStore();
  const report = await ingestFiles(store.conn, [REGISTRY, ...ARCHIVES]);
  expect(report.rejected).toBe(0);
  const wm = await readWatermark(store.conn);
  ctx = { conn: store.conn, watermark: wm!.watermark, firstTs: wm!.firstTs };
});
afterAll(() => store?.close());

const q = <K extends Kind>(kind: K, params: Record<string, unknown> = {}) => ask(ctx, kind, params);

describe('catalogue over real AEMO files', () => {
  it('the fixtures hold what this test expects', () => {
    expect(new Set(price.map((p) => p.region))).toEqual(new Set(['NSW1', 'SA1']));
    expect(new Set(scada.map((s) => s.duid))).toEqual(new Set(['AGLHAL', 'HDWF2']));
    expect(ctx.watermark).toBe(Math.max(...price.map((p) => p.ts)));
  });

  it('price mean, min, max and count per region', async () => {
    const r = await q('prices.stats', { range: 'all', regions: ['NSW1', 'SA1'] });
    expect(r.rows.map((x) => x.region)).toEqual(['NSW1', 'SA1']);
    for (const row of r.rows) {
      const rrp = price.filter((p) => p.region === row.region).map((p) => p.rrp);
      expect(row.count).toBe(rrp.length);
      near(row.mean, mean(rrp));
      near(row.min, Math.min(...rrp));
      near(row.max, Math.max(...rrp));
      expect(row.demandWeighted).toBeNull(); // DISPATCH PRICE carries no demand
    }
    const now = await q('prices.current');
    for (const row of now.rows) near(row.rrp, rrpAt.get(`${row.region}|${ctx.watermark}`)!);
  });

  it("a unit's energy, revenue and average price received", async () => {
    for (const duid of ['HDWF2', 'AGLHAL']) {
      const rows = scada.filter((s) => s.duid === duid);
      const mwh = sum(rows.map((s) => s.mw / 12));
      const revenue = sum(rows.map((s) => (s.mw * rrpAt.get(`SA1|${s.ts}`)!) / 12));
      const r = await q('station.output', { duid, range: 'all', resolution: '1d' });
      near(r.energyMwh, mwh, 0.051);
      near(r.revenue, revenue, 0.51);
      if (mwh > 0) near(r.avgPriceReceived, revenue / mwh);
      else expect(r.avgPriceReceived).toBeNull();
    }
    const t = await q('stations.table', { range: 'all', regions: ['SA1'] });
    const hdwf = t.rows.find((x) => x.duids.includes('HDWF2'))!;
    near(hdwf.gwh, sum(scada.filter((s) => s.duid === 'HDWF2').map((s) => s.mw / 12)) / 1000, 0.00051);
    expect(hdwf).toMatchObject({ region: 'SA1', fuel: 'Wind' });
  });

  it('interconnector means, per day and over everything', async () => {
    const r = await q('interconnectors.flows', { region: 'VIC1', range: 'all', resolution: '1d' });
    expect(Object.keys(r.series)).toEqual(['VIC1-NSW1']);
    r.time.forEach((d, i) => {
      const day = flows.filter((f) => f.ts > d && f.ts <= d + 86400).map((f) => f.mw);
      if (day.length) near(r.series['VIC1-NSW1'][i], mean(day), MW);
      else expect(r.series['VIC1-NSW1'][i]).toBeNull(); // the gap between the two fixture periods
    });
    const five = await q('interconnectors.flows', { region: 'NSW1', range: 'all', resolution: '5m' });
    const values = five.series['VIC1-NSW1'].filter((v): v is number => v !== null);
    expect(values.length).toBe(flows.length);
    near(mean(values), mean(flows.map((f) => f.mw)), MW);
  });

  it("SA1's wind and gas in generation.byFuel are the two units' energy", async () => {
    const r = await q('generation.byFuel', { region: 'SA1', range: 'all' });
    for (const [fuel, duid] of [
      ['Wind', 'HDWF2'],
      ['Gas', 'AGLHAL'],
    ] as const) {
      const row = r.table.find((x) => x.fuel === fuel)!;
      near(row.gwh, sum(scada.filter((s) => s.duid === duid).map((s) => s.mw / 12)) / 1000, 0.00051);
    }
  });
});
