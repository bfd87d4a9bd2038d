// Every kind answers with the shape shared/results.ts promises, for every range preset and resolution:
// columns as long as their time axis, steps matching the resolution, no BigInt, no NaN, msgpack round trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_NAMES, KINDS, RESOLUTION_SECONDS, type Kind } from '../../shared/kinds.ts';
import { decode, encode } from '../../shared/protocol.ts';
import { checked, syntheticStore } from '../../test/util/catalogue.ts';
import { readWatermark } from '../store/db.ts';
import { buildDemo } from '../store/demo.ts';
import { loadRegistry } from '../store/registry.ts';
import { runQuery, type QueryContext } from './index.ts';
import { openTestStore, T0, type TestStore } from '../../test/util/synthetic-data.ts';

const REGISTRY = new URL('../store/seed/registry.csv', import.meta.url).pathname;
let store: TestStore;
let demo: TestStore;
let ctx: QueryContext;
let demoCtx: QueryContext;

beforeAll(async () => {
  ({ store, ctx } = await syntheticStore());
  demo = await openTestStore();
  await loadRegistry(demo.conn, REGISTRY);
  await buildDemo(demo.conn, { days: 3 });
  const wm = await readWatermark(demo.conn);
  demoCtx = { conn: demo.conn, watermark: wm!.watermark, firstTs: wm!.firstTs };
});
afterAll(() => {
  store?.close();
  demo?.close();
});

const PANELS: Partial<Record<Kind, string[]>> = {
  'tab.nem': [
    'prices',
    'mix',
    'generation',
    'price',
    'renewables',
    'demand',
    'records',
    'emissions',
    'batteries',
    'predispatch',
  ],
  'tab.generation': ['generation', 'utilisation', 'flows', 'timeOfDay', 'demand', 'emissions'],
  'tab.prices': ['history', 'stats', 'bands', 'timeOfDay', 'forecast'],
  'tab.stations': ['search', 'output'],
  'tab.generators': ['table'],
  'tab.curtailment': ['history', 'timeOfDay', 'units', 'prices'],
  'tab.batteries': ['fleet', 'table', 'arbitrage'],
};

/** Walks a result and returns the first problem found, or null. */
function problem(v: unknown, path: string): string | null {
  if (typeof v === 'bigint') return `${path} is a BigInt`;
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${path} is ${v}`;
  if (v === null || typeof v !== 'object') return v === undefined ? `${path} is undefined` : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = problem(v[i], `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.time) && o.series) {
    const n = o.time.length;
    for (const [name, col] of Object.entries(o.series as Record<string, unknown[]>)) {
      if (col.length !== n) return `${path}.series.${name} has ${col.length} points, time has ${n}`;
    }
    const step = RESOLUTION_SECONDS[o.resolution as keyof typeof RESOLUTION_SECONDS];
    if (!step) return `${path}.resolution is ${String(o.resolution)}`;
    for (let i = 1; i < n; i++)
      if ((o.time[i] as number) - (o.time[i - 1] as number) !== step)
        return `${path}.time is not on a ${o.resolution} grid at ${i}`;
    // batteries' columns beside the series (battery.soc's storageMwh is a number)
    for (const key of ['price', 'socMwh', ...(Array.isArray(o.storageMwh) ? ['storageMwh'] : [])])
      if (key in o && (o[key] as unknown[]).length !== n) return `${path}.${key} length differs from time`;
    if (o.links) {
      for (const [id, l] of Object.entries(
        o.links as Record<string, { exportLimit: unknown[]; importLimit: unknown[] }>,
      )) {
        if (l.exportLimit.length !== n || l.importLimit.length !== n)
          return `${path}.links.${id} limits differ in length from time`;
      }
    }
  }
  if (Array.isArray(o.hours)) {
    if (o.hours.length !== 24) return `${path}.hours has ${o.hours.length} entries`;
    for (const [name, col] of Object.entries(o.series as Record<string, unknown[]>))
      if (col.length !== 24) return `${path}.series.${name} is not 24 hours`;
  }
  for (const [k, x] of Object.entries(o)) {
    const p = problem(x, `${path}.${k}`);
    if (p) return p;
  }
  return null;
}

async function check(kind: Kind, raw: Record<string, unknown>, on: QueryContext = ctx): Promise<unknown> {
  const data = await runQuery(on, kind, checked(kind, raw));
  const where = `${kind} ${JSON.stringify(raw)}`;
  expect(problem(data, 'data'), where).toBeNull();
  expect(decode(encode(data)), where).toEqual(data);
  if (PANELS[kind]) expect(Object.keys((data as { panels: object }).panels), where).toEqual(PANELS[kind]);
  return data;
}

/** Every kind × every preset × every resolution, every region, and an explicit window off the 5-minute grid. */
async function everyKind(on: QueryContext, duid: string, battery: string, from: number, to: number): Promise<void> {
  for (const kind of KIND_NAMES) {
    const schema = KINDS[kind] as Record<string, unknown>;
    const base: Record<string, unknown> =
      kind === 'station.output' ? { duid } : kind === 'battery.soc' ? { duid: battery } : {};
    // Every value the kind's own schema takes (forecasts.accuracy: three ranges; forecasts: five regions).
    const values = (name: string) =>
      name in schema ? (schema[name] as { values: readonly string[] }).values : [undefined];
    const ranges = values('range');
    const resolutions = values('resolution');
    for (const range of ranges) {
      for (const resolution of resolutions) {
        await check(kind, { ...base, ...(range && { range }), ...(resolution && { resolution }) }, on);
      }
    }
    if ('region' in schema) for (const region of values('region')) await check(kind, { ...base, region }, on);
    if ('from' in schema) await check(kind, { ...base, from, to }, on);
  }
}

describe('result shapes', () => {
  // Hundreds of queries each: past the default timeout on a loaded machine.
  it('every kind, every range preset and resolution, has a well-formed answer (synthetic store)', async () => {
    await everyKind(ctx, 'COAL1', 'BATTA1', T0 + 3600 + 17, T0 + 2 * 86400);
  }, 180_000);

  it('every kind, every range preset and resolution, has a well-formed answer (3-day demo)', async () => {
    await everyKind(demoCtx, 'ER01', 'ERB01', demoCtx.watermark - 2 * 86400 + 17, demoCtx.watermark - 3600);
    // the demo has every fuel of every region: no series goes missing
    const nem = (await check('generation.byFuel', { region: 'NEM', range: '24h' }, demoCtx)) as { series: object };
    expect(Object.keys(nem.series)).toEqual([
      'Coal',
      'Gas',
      'Hydro',
      'Wind',
      'Solar',
      'Rooftop Solar',
      'Biomass',
      'Battery',
      'Other',
    ]);
  }, 180_000);

  it('series are non-empty and carry data where the store has it', async () => {
    const r = (await check('generation.byFuel', { region: 'NEM', range: '7d' })) as {
      time: number[];
      series: Record<string, unknown[]>;
    };
    expect(r.time.length).toBeGreaterThan(800);
    expect(r.series.Coal.filter((x) => x !== null).length).toBe(r.time.length);
    const tab = (await check('tab.stations', { region: 'SA1' })) as { panels: { output: { station: string } } };
    expect(tab.panels.output.station).toBe('Alpha Wind Farm'); // the region's largest when none is chosen
  });

  it('answers a window outside the data with empty series rather than an error', async () => {
    const r = (await check('prices.history', { from: T0 - 10 * 86400, to: T0 - 9 * 86400 })) as { time: number[] };
    expect(r.time).toEqual([]);
    const s = (await check('prices.stats', { from: T0 - 10 * 86400, to: T0 - 9 * 86400 })) as { rows: unknown[] };
    expect(s.rows).toEqual([]);
  });
});
