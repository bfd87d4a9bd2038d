// demand.records advanced from a kept state (server/advance.ts accumulate) through the real answer path, where the
// property test (advance.test.ts) does not reach: intervals across a NEM midnight one at a time (today's means start
// again), and underlying demand holding a carried-forward rooftop value at the live edge (the demo writes each half
// hour's rooftop at its first interval, so its store never carries one) until the rooftop arrives as a revision.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { validateParams, type Kind, type ParamsOf } from '../shared/kinds.ts';
import { dayOf, INTERVAL_S } from '../shared/nem.ts';
import { encode } from '../shared/protocol.ts';
import { Answerer } from './answer.ts';
import { TieredCache } from './cache/tiered.ts';
import { runQuery } from './catalogue/index.ts';
import { Gate } from './fair-gate.ts';
import { LanePool } from './lane.ts';
import { Market } from './market.ts';
import { readWatermark } from './store/db.ts';
import { appendDemo } from './store/demo.ts';
import { ensureStore } from './store/ensure-store.ts';
import { refreshRollups } from './store/rollups.ts';

const root = mkdtempSync(join(tmpdir(), 'nemlive-records-'));
let instance: DuckDBInstance;
let writer: DuckDBConnection;
let reference: DuckDBConnection;
beforeAll(async () => {
  const config = { dataDir: join(root, 'data'), demoDays: 2, threads: 2, memoryLimit: '1GB' };
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

it('advances demand.records across midnight and over carried rooftop values as a full computation does', async () => {
  const marks = (await readWatermark(writer))!;
  const market = new Market(marks.watermark, marks.firstTs, 'g');
  const cache = new TieredCache({ lruBytes: 64 << 20 });
  const answerer = new Answerer(market, cache, new Gate(2, 1000));
  const pool = new LanePool(instance, 2);
  const questions: { kind: Kind; params: ParamsOf<Kind> }[] = [];
  for (const region of ['NEM', 'SA1', 'VIC1'])
    for (const series of ['operational', 'underlying']) {
      const v = validateParams('demand.records', { region, series });
      if (!v.ok) throw new Error(v.message);
      questions.push({ kind: 'demand.records', params: v.params as ParamsOf<Kind> });
    }
  const mismatches: string[] = [];
  const check = async (label: string) => {
    const ctx = { conn: reference, watermark: market.watermark, firstTs: market.firstTs };
    for (const q of questions) {
      const got = await answerer.answer(q.kind, q.params, pool);
      const whole = encode(await runQuery(ctx, q.kind, q.params));
      if (!Buffer.from(got.dataBytes).equals(Buffer.from(whole)))
        mismatches.push(`${label}: ${JSON.stringify(q.params)}`);
    }
  };
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
