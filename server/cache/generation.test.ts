// Revisions name the intervals they rewrote, and a cache key carries only those its answer can see: a backfill of the
// distant past leaves recent answers cached, while every answer it does change is computed again. Checked on a real
// store: after each revision, every answer the answerer gives (cached or not) has the bytes a fresh computation gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { validateParams, type Kind, type ParamsOf } from '../../shared/kinds.ts';
import { encode } from '../../shared/protocol.ts';
import { fill, openTestStore, rawRows, T0, WATERMARK, type TestStore } from '../../test/util/synthetic-data.ts';
import { Answerer } from '../answer.ts';
import { runQuery } from '../catalogue/index.ts';
import type { ConnHolder } from '../conn-holder.ts';
import { Gate } from '../fair-gate.ts';
import { Market } from '../market.ts';
import { refreshRollups } from '../store/rollups.ts';
import { keyGeneration, MAX_SPANS, withRevision } from './generation.ts';
import { makeKey } from './key.ts';
import { TieredCache } from './tiered.ts';

function params<K extends Kind>(kind: K, raw: Record<string, unknown>): ParamsOf<K> {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(v.message);
  return v.params;
}

const DAY = 86400;
const WM = 1_800_000_000;
const FIRST = WM - 400 * DAY;
const gen = (kind: Kind, raw: Record<string, unknown>, generation: string, firstTs: number | undefined = FIRST) =>
  keyGeneration(generation, kind, params(kind, raw), WM, firstTs);

describe('revisions in the generation', () => {
  it('a revision of unknown reach keeps the old form and moves every key on', () => {
    expect(withRevision('abc.3')).toBe('abc.3r1');
    expect(withRevision('abc.3r1')).toBe('abc.3r2');
    expect(gen('prices.history', { range: '24h' }, 'abc.3r2')).toBe('abc.3r2');
  });

  it('a key sees a revision only when its window, widened by two days, meets the revised intervals', () => {
    const old = withRevision('abc.3', { minTs: WM - 300 * DAY, maxTs: WM - 270 * DAY });
    expect(old).toBe('abc.3~1@' + (WM - 300 * DAY) + ':' + (WM - 270 * DAY));
    expect(gen('prices.history', { range: '24h' }, old)).toBe('abc.3');
    expect(gen('tab.generation', { range: '90d' }, old)).toBe('abc.3');
    expect(gen('prices.history', { range: '1y' }, old)).toBe('abc.3~1');
    expect(gen('prices.history', { from: WM - 272 * DAY, to: WM - 200 * DAY }, old)).toBe('abc.3~1');
    expect(gen('prices.history', { from: WM - 269 * DAY, to: WM - 200 * DAY }, old)).toBe('abc.3~1');
    expect(gen('prices.history', { from: WM - 267 * DAY, to: WM - 200 * DAY }, old)).toBe('abc.3');
    // Reach not bounded by its params: `all`, no range, a tab with such a panel (tab.nem's records, tab.prices'
    // newest forecast), no first interval.
    expect(gen('prices.history', { range: 'all' }, old)).toBe('abc.3~1');
    expect(gen('prices.current', {}, old)).toBe('abc.3~1');
    expect(gen('tab.nem', {}, old)).toBe('abc.3~1');
    expect(gen('tab.prices', { range: '24h' }, old)).toBe('abc.3~1');
    expect(keyGeneration(old, 'prices.history', params('prices.history', {}), WM, undefined)).toBe('abc.3~1');
    // A window reaching back to the first interval is clamped there, so it moves with it.
    expect(gen('prices.history', { range: '24h' }, old, WM - 2 * DAY)).toBe('abc.3~1');

    const recent = withRevision(old, { minTs: WM - 600, maxTs: WM });
    expect(gen('prices.history', { range: '24h' }, recent)).toBe('abc.3~2');
    expect(gen('prices.history', { range: '1y' }, recent)).toBe('abc.3~2');
    expect(gen('prices.history', { from: WM - 300 * DAY, to: WM - 280 * DAY }, recent)).toBe('abc.3~1');
    // One of unknown reach after them: every key moves on.
    const all = withRevision(recent);
    expect(all).toBe('abc.3r3');
    expect(gen('prices.history', { from: WM - 300 * DAY, to: WM - 280 * DAY }, all)).toBe('abc.3r3');
    expect(gen('prices.history', { range: '24h' }, withRevision(all, { minTs: WM - 600, maxTs: WM }))).toBe(
      'abc.3r3~4',
    );
  });

  it("batteries.fleet's `now` reads a week back from the watermark whatever its window: such revisions reach it", () => {
    const lastWeek = withRevision('abc.3', { minTs: WM - 6 * DAY, maxTs: WM - 5 * DAY });
    expect(gen('prices.history', { range: '24h' }, lastWeek)).toBe('abc.3');
    expect(gen('batteries.fleet', { range: '24h' }, lastWeek)).toBe('abc.3~1');
    const past = { from: WM - 300 * DAY, to: WM - 290 * DAY };
    expect(gen('prices.history', past, lastWeek)).toBe('abc.3');
    expect(gen('batteries.fleet', past, lastWeek)).toBe('abc.3~1');
    // ...and its key over a past window follows the watermark (its `now` is the latest interval's).
    expect(makeKey('prices.history', params('prices.history', past), WM).watermark).toBeNull();
    expect(makeKey('batteries.fleet', params('batteries.fleet', past), WM).watermark).toBe(WM);
    // One span from the window to the watermark: a revision between them reaches it too (early, never late).
    const between = withRevision('abc.3', { minTs: WM - 20 * DAY, maxTs: WM - 18 * DAY });
    expect(gen('batteries.fleet', past, between)).toBe('abc.3~1');
  });

  it('keeps at most MAX_SPANS spans, merging the oldest: a key moves on early, never late, and never back', () => {
    let g = 'abc.3';
    const seen: string[] = [];
    const key = { from: WM - 100 * DAY, to: WM - 99 * DAY };
    for (let i = 0; i < MAX_SPANS + 4; i++) {
      // Each revision is of a day further back; only the first meets the key's window.
      g = withRevision(g, { minTs: WM - (100 + 5 * i) * DAY, maxTs: WM - (100 + 5 * i) * DAY + 300 });
      seen.push(gen('prices.history', key, g));
    }
    expect(g.split('~')).toHaveLength(MAX_SPANS + 1);
    expect(seen[0]).toBe('abc.3~1');
    const ids = seen.map((s) => Number(s.split('~')[1]));
    expect(ids.every((id, i) => i === 0 || id >= ids[i - 1])).toBe(true);
  });
});

describe('answers after revisions, on a real store', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
    await fill(store.conn, rawRows());
  });
  afterAll(() => store?.close());

  const pool = (conn: DuckDBConnection): ConnHolder => ({ closed: false, withConn: (fn) => fn(conn) });
  const QUESTIONS: { kind: Kind; raw: Record<string, unknown> }[] = [
    { kind: 'generation.byFuel', raw: { region: 'SA1', range: '24h' } },
    { kind: 'tab.generation', raw: { region: 'SA1', range: '24h' } },
    { kind: 'prices.current', raw: {} },
    { kind: 'tab.prices', raw: { range: '24h' } },
    { kind: 'prices.history', raw: { regions: ['NSW1', 'SA1'], range: 'all' } },
    { kind: 'prices.history', raw: { regions: ['SA1'], from: T0, to: T0 + 6 * 3600 } },
    { kind: 'demand.records', raw: { region: 'NEM' } },
    { kind: 'tab.nem', raw: { region: 'SA1' } },
  ];

  async function ask(answerer: Answerer, market: Market): Promise<string[]> {
    const tiers: string[] = [];
    for (const q of QUESTIONS) {
      const p = params(q.kind, q.raw);
      const a = await answerer.answer(q.kind, p, pool(store.conn));
      const ctx = { conn: store.conn, watermark: market.watermark, firstTs: market.firstTs };
      const fresh = encode(await runQuery(ctx, q.kind, p));
      expect(Buffer.from(a.dataBytes).equals(Buffer.from(fresh)), `${q.kind} ${JSON.stringify(q.raw)}`).toBe(true);
      tiers.push(a.tier);
    }
    return tiers;
  }

  it('recomputes what a revision changed, keeps what it did not, and every answer is a fresh one', async () => {
    const market = new Market(WATERMARK, T0 + 300, 'test.0');
    const answerer = new Answerer(market, new TieredCache({ lruBytes: 16 << 20 }), new Gate(2, 100));
    expect(await ask(answerer, market)).toEqual(QUESTIONS.map(() => 'db'));
    expect(await ask(answerer, market)).toEqual(QUESTIONS.map(() => 'lru'));

    // A revision of the first three intervals (more than two days before the last 24 hours): prices up by 100.
    const conn = store.conn;
    await conn.run(`UPDATE price SET rrp = rrp + 100 WHERE ts <= ${T0 + 900}`);
    await refreshRollups(conn, T0, T0 + 900);
    market.advance(WATERMARK, { revised: true, span: { minTs: T0 + 300, maxTs: T0 + 900 } });
    const recent = ['lru', 'lru'];
    expect(await ask(answerer, market)).toEqual([...recent, 'db', 'db', 'db', 'db', 'db', 'db']);

    // A backfill under the first interval: a copy of the first six hours, a day earlier.
    for (const t of ['price', 'scada', 'interconnector', 'rooftop'])
      await conn.run(`INSERT INTO ${t} SELECT * REPLACE (ts - ${DAY} AS ts) FROM ${t} WHERE ts <= ${T0 + 6 * 3600}`);
    await refreshRollups(conn, T0 - DAY - 3600, T0 - DAY + 6 * 3600);
    market.advance(WATERMARK, { firstTs: T0 - DAY + 300, revised: true, span: { minTs: T0 - DAY, maxTs: T0 } });
    expect(await ask(answerer, market)).toEqual([...recent, 'db', 'db', 'db', 'db', 'db', 'db']);
    expect(await ask(answerer, market)).toEqual(QUESTIONS.map(() => 'lru'));
    // The key of a question the revisions did not reach is the one it had before them.
    const p = params('generation.byFuel', QUESTIONS[0].raw);
    expect(answerer.keyFor('generation.byFuel', p).text).toBe(
      `gtest.0|${makeKey('generation.byFuel', p, WATERMARK).text}`,
    );
  });
});
