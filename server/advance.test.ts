// The property incremental advance rests on: over every kind, random windows and a random sequence of intervals
// (one at a time, several at once as after an outage, a revised newest interval, late data for a past one), the answer
// the server gives at each watermark — advanced from a cached one where it can be — is byte for byte the answer a
// full recomputation gives at that watermark. A real demo store (three days) and the real answer path and cache.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KIND_NAMES,
  RANGES,
  RESOLUTIONS,
  UNCACHED,
  validateParams,
  type Kind,
  type ParamsOf,
} from '../shared/kinds.ts';
import { dayOf, INTERVAL_S } from '../shared/nem.ts';
import { encode } from '../shared/protocol.ts';
import { SPLICEABLE } from './advance.ts';
import { mergeRecords, recordsAnswer, recordsState } from './catalogue/demand.ts';
import { Answerer } from './answer.ts';
import { TieredCache } from './cache/tiered.ts';
import { runQuery } from './catalogue/index.ts';
import { Gate } from './fair-gate.ts';
import { LanePool } from './lane.ts';
import { Market } from './market.ts';
import { readWatermark } from './store/db.ts';
import { appendDemo } from './store/demo.ts';
import { refreshRollups } from './store/rollups.ts';
import { ensureStore } from './store/ensure-store.ts';
import { rng } from '../shared/rng.ts';
import { warmList } from './warmup/list.ts';

const root = mkdtempSync(join(tmpdir(), 'nemlive-advance-'));
let instance: DuckDBInstance;
let writer: DuckDBConnection;
let reference: DuckDBConnection;

beforeAll(async () => {
  const config = { dataDir: join(root, 'data'), demoDays: 3, threads: 2, memoryLimit: '1GB' };
  instance = (await ensureStore(config, { info: () => undefined })).instance;
  writer = await instance.connect();
  reference = await instance.connect();
});
afterAll(() => {
  writer?.closeSync();
  reference?.closeSync();
  instance?.closeSync();
  rmSync(root, { recursive: true, force: true });
});

interface Question {
  kind: Kind;
  params: ParamsOf<Kind>;
}

function question(kind: Kind, raw: Record<string, unknown>): Question {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(`${kind}: ${v.message}`);
  return { kind, params: v.params as ParamsOf<Kind> };
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

/**
 * Every kind (the warmup list's first question of each, and the unit kinds with a battery), then the advanced kinds
 * over random relative windows and resolutions, and some explicit windows ending at or near the watermark.
 */
function questions(rnd: () => number, watermark: number): Question[] {
  const out: Question[] = [];
  const seen = new Set<Kind>();
  for (const q of warmList()) {
    if (seen.has(q.kind)) continue;
    seen.add(q.kind);
    out.push(q);
  }
  out.push(question('station.output', { duid: 'ERB01', range: '24h' }));
  out.push(question('battery.soc', { duid: 'ERB01', range: '24h' }));
  out.push(question('tab.stations', { duid: 'ERB01', range: '24h' }));
  for (const kind of Object.keys(SPLICEABLE) as Kind[]) {
    for (let i = 0; i < 4; i++) {
      const raw: Record<string, unknown> = {
        range: pick(rnd, RANGES),
        resolution: pick(rnd, ['auto', ...RESOLUTIONS]),
      };
      if (kind === 'prices.history') raw.regions = pick(rnd, [[], ['SA1'], ['NSW1', 'VIC1']]);
      else raw.region = pick(rnd, ['NEM', 'QLD1', 'TAS1']);
      const v = validateParams(kind, raw);
      if (v.ok) out.push({ kind, params: v.params as ParamsOf<Kind> });
    }
    const to = watermark - Math.floor(rnd() * 6) * INTERVAL_S;
    out.push(question(kind, { from: to - 86400, to, resolution: '30m' }));
  }
  // Accumulated: records over all the data, per region and series (a state beside the cached answer).
  for (const region of ['NEM', 'SA1', 'QLD1'])
    for (const series of ['operational', 'underlying']) out.push(question('demand.records', { region, series }));
  out.push(question('tab.nem', { region: 'SA1' }));
  for (const kind of ['tab.batteries', 'tab.prices'] as const) out.push(question(kind, { range: pick(rnd, RANGES) }));
  return out;
}

/** Notes in `out` each question whose answer through the answer path is not the bytes of a full computation. */
async function compare(
  answerer: Answerer,
  pool: LanePool,
  market: Market,
  list: Question[],
  label: string,
  out: string[],
): Promise<void> {
  const ctx = { conn: reference, watermark: market.watermark, firstTs: market.firstTs };
  for (const q of list) {
    const got = await answerer.answer(q.kind, q.params, pool);
    const whole = encode(await runQuery(ctx, q.kind, q.params));
    if (!Buffer.from(got.dataBytes).equals(Buffer.from(whole)))
      out.push(`${label}: ${q.kind} ${JSON.stringify(q.params)}`);
  }
}

type Step = 'one' | 'several' | 'revised' | 'late';

describe('incremental advance', () => {
  it('gives, at every watermark, exactly the bytes of a full recomputation, over every kind', async () => {
    const seed = 16;
    const rnd = rng(seed);
    const marks = (await readWatermark(writer))!;
    const market = new Market(marks.watermark, marks.firstTs, 'g');
    const cache = new TieredCache({ lruBytes: 64 << 20 });
    const answerer = new Answerer(market, cache, new Gate(2, 1000));
    const pool = new LanePool(instance, 2);
    const list = questions(rnd, marks.watermark);
    // Uncached kinds (alerts) are never stored, so never advanced: every other kind is here.
    expect(new Set(list.map((q) => q.kind))).toEqual(new Set(KIND_NAMES.filter((k) => !UNCACHED.has(k))));
    const steps: Step[] = ['one', 'several', 'revised', 'one', 'late', 'one'];
    for (let i = 0; i < 2; i++) steps.push(pick(rnd, ['one', 'one', 'several', 'revised', 'late'] as const));

    const mismatches: string[] = [];
    const check = (label: string) => compare(answerer, pool, market, list, label, mismatches);
    try {
      await check('start');
      let revisions = 0;
      for (const [n, step] of steps.entries()) {
        const wm = market.watermark;
        if (step === 'one' || step === 'several') {
          const to = wm + (step === 'one' ? 1 : 2 + Math.floor(rnd() * 10)) * INTERVAL_S;
          await appendDemo(writer, undefined, to);
          market.advance(to);
        } else if (step === 'revised') {
          // The newest interval's prices and demand come again, different (a revised dispatch run).
          await writer.run(`UPDATE price SET rrp = rrp + 7.25, demand_mw = demand_mw + 11 WHERE ts = ${wm}`);
          market.advance(wm, { revised: true });
          revisions++;
        } else {
          // A new interval arrives without its battery dispatch; the dispatch comes a little later (late data for an
          // interval at or before the watermark: a revision).
          const to = wm + INTERVAL_S;
          await appendDemo(writer, undefined, to);
          await writer.run(`CREATE OR REPLACE TEMP TABLE late AS SELECT * FROM unit_dispatch WHERE ts = ${to}`);
          await writer.run(`DELETE FROM unit_dispatch WHERE ts = ${to}`);
          market.advance(to);
          await check(`step ${n} (${step}, before the late data)`);
          await writer.run(`INSERT INTO unit_dispatch SELECT * FROM late`);
          market.advance(to, { revised: true });
          revisions++;
        }
        await check(`step ${n} (${step})`);
      }
      expect(revisions).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
    expect(mismatches, `seed ${seed}`).toEqual([]);
    // The property is not vacuous: most answers of the advanced kinds were spliced, not recomputed.
    expect(cache.stats.advanced).toBeGreaterThan(steps.length * Object.keys(SPLICEABLE).length);
  }, 600_000);

  it("merges records states of adjoining spans into the whole window's, across midnight too", async () => {
    const marks = (await readWatermark(reference))!;
    const ctx = { conn: reference, watermark: marks.watermark, firstTs: marks.firstTs };
    const lo = marks.firstTs - INTERVAL_S;
    const hi = marks.watermark;
    // Splits: just after midnight, just before it, mid-afternoon, and the last interval alone.
    const midnight = dayOf(hi);
    const cuts = [midnight + INTERVAL_S, midnight, midnight - INTERVAL_S, midnight - 9 * 3600, hi - INTERVAL_S];
    expect(cuts.every((c) => c > lo && c < hi)).toBe(true);
    for (const region of ['NEM', 'SA1', 'TAS1'] as const)
      for (const series of ['operational', 'underlying'] as const) {
        const p = question('demand.records', { region, series }).params as ParamsOf<'demand.records'>;
        const whole = encode(recordsAnswer(p, await recordsState(ctx, p, lo, hi)));
        for (const cut of cuts) {
          const a = await recordsState(ctx, p, lo, cut);
          const merged = mergeRecords(a, await recordsState(ctx, p, cut, hi));
          expect(
            Buffer.from(encode(recordsAnswer(p, merged))).equals(Buffer.from(whole)),
            `${region} ${series} ${cut}`,
          ).toBe(true);
          expect(merged.hi).toBe(hi);
        }
        // Three spans, one a single interval (a state of one row per hour).
        const three = mergeRecords(
          mergeRecords(await recordsState(ctx, p, lo, cuts[3]), await recordsState(ctx, p, cuts[3], hi - INTERVAL_S)),
          await recordsState(ctx, p, hi - INTERVAL_S, hi),
        );
        expect(Buffer.from(encode(recordsAnswer(p, three))).equals(Buffer.from(whole))).toBe(true);
      }
  });

  // Through the real answer path, where the first test does not reach: intervals across a NEM midnight one at a time
  // (today's means start again), and underlying demand holding a carried-forward rooftop value at the live edge (the
  // demo writes each half hour's rooftop at its first interval, so its store never carries one) until the rooftop
  // arrives as a revision. Runs on the store the first test moved on; it works from whatever watermark it finds.
  it('advances demand.records across midnight and over carried rooftop values as a full computation does', async () => {
    const marks = (await readWatermark(writer))!;
    const market = new Market(marks.watermark, marks.firstTs, 'g');
    const cache = new TieredCache({ lruBytes: 64 << 20 });
    const answerer = new Answerer(market, cache, new Gate(2, 1000));
    const pool = new LanePool(instance, 2);
    const questions: Question[] = [];
    for (const region of ['NEM', 'SA1', 'VIC1'])
      for (const series of ['operational', 'underlying']) {
        const v = validateParams('demand.records', { region, series });
        if (!v.ok) throw new Error(v.message);
        questions.push({ kind: 'demand.records', params: v.params as ParamsOf<Kind> });
      }
    const mismatches: string[] = [];
    const check = (label: string) => compare(answerer, pool, market, questions, label, mismatches);
    const advanceTo = async (to: number) => {
      await appendDemo(writer, undefined, to);
      market.advance(to);
    };
    try {
      await check('start');
      const midnight = dayOf(market.watermark) + 86400;
      for (const to of [midnight - 2 * INTERVAL_S, midnight - INTERVAL_S, midnight, midnight + INTERVAL_S])
        if (to > market.watermark) {
          await advanceTo(to);
          await check(`to ${to}`);
        }
      await advanceTo(midnight + 3600);
      await check('an hour past midnight');

      // The half hour ending at T: its rooftop is held back while its first intervals come, so they carry the last one.
      const T = Math.ceil((market.watermark + INTERVAL_S) / 1800) * 1800 + 1800;
      for (const to of [T - 1500, T - 1200, T - 600]) {
        await appendDemo(writer, undefined, to);
        await writer.run(`CREATE OR REPLACE TEMP TABLE held_roof AS SELECT * FROM rooftop WHERE ts = ${T}`);
        await writer.run(`DELETE FROM rooftop WHERE ts = ${T}`);
        await refreshRollups(writer, T - 1800, to);
        market.advance(to);
        await check(`carried to ${to}`);
      }
      const carried = await writer.runAndReadAll(
        `SELECT count(*)::INTEGER AS n FROM rooftop_carried WHERE ts > ${T - 1800}`,
      );
      expect(Number(carried.getRowObjectsJS()[0].n)).toBeGreaterThan(0);
      // It arrives: a revision of the intervals that carried (as ingest-file.ts names a rooftop file's window).
      await writer.run(`INSERT INTO rooftop SELECT * FROM held_roof`);
      await refreshRollups(writer, T - 1800, market.watermark);
      market.advance(market.watermark, { revised: true, span: { minTs: T - 1500, maxTs: T } });
      await check('rooftop in');
      await advanceTo(market.watermark + INTERVAL_S);
      await check('after it');
    } finally {
      await pool.close();
    }
    expect(mismatches).toEqual([]);
    // Not vacuous: most answers were advanced from a kept state.
    expect(cache.stats.advanced).toBeGreaterThanOrEqual(questions.length * 5);
  }, 120_000);
});
