// The answer path on a real store and a real (memory) cache: tabs composed from their panels' answers carry the
// bytes a whole computation gives, shared panels are computed once per watermark, and a tab keeps one market state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { REGION_CHOICES } from '../shared/nem.ts';
import { validateParams, type Kind, type ParamsOf } from '../shared/kinds.ts';
import { encode } from '../shared/protocol.ts';
import { Answerer } from './answer.ts';
import { TieredCache } from './cache/tiered.ts';
import { runQuery } from './catalogue/index.ts';
import { fill, openTestStore, rawRows, T0, WATERMARK, type TestStore } from '../test/util/synthetic-data.ts';
import type { ConnHolder } from './conn-holder.ts';
import { ConnLane } from './lane.ts';
import { Gate } from './fair-gate.ts';
import { Market } from './market.ts';
import { metrics } from './metrics.ts';

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
  await fill(store.conn, rawRows());
});
afterAll(() => store?.close());

/** One connection, one query at a time (what a ConnLane guarantees). */
function holder(conn: DuckDBConnection): ConnHolder {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    closed: false,
    withConn<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
      const run = tail.then(() => fn(conn));
      tail = run.catch(() => undefined);
      return run;
    },
  };
}

function params<K extends Kind>(kind: K, raw: Record<string, unknown>): ParamsOf<K> {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(v.message);
  return v.params;
}

async function runs(kind: Kind): Promise<number> {
  const m = await metrics.queryDuration.get();
  return m.values.find((v) => v.metricName?.endsWith('_count') && v.labels.kind === kind)?.value ?? 0;
}

describe('answer path', () => {
  it('composes tab.nem for every region from panels it computes once each, with the bytes of a whole computation', async () => {
    const market = new Market(WATERMARK, T0 + 300);
    const answerer = new Answerer(market, new TieredCache({ lruBytes: 8 << 20 }), new Gate(2, 100));
    const pool = holder(store.conn);
    const before = {
      current: await runs('prices.current'),
      history: await runs('prices.history'),
      mix: await runs('generation.mix'),
    };
    const answers = await Promise.all(
      REGION_CHOICES.map((region) => answerer.answer('tab.nem', params('tab.nem', { region }), pool)),
    );
    expect(await runs('prices.current')).toBe(before.current + 1);
    expect(await runs('prices.history')).toBe(before.history + 1);
    expect(await runs('generation.mix')).toBe(before.mix + REGION_CHOICES.length);
    const ctx = { conn: store.conn, watermark: WATERMARK, firstTs: T0 + 300 };
    for (const [i, region] of REGION_CHOICES.entries()) {
      expect(answers[i].tier).toBe('db');
      const whole = encode(await runQuery(ctx, 'tab.nem', params('tab.nem', { region })));
      expect(Buffer.from(answers[i].dataBytes).equals(Buffer.from(whole))).toBe(true);
    }
    // A panel asked on its own is the tab's panel, already cached; the tab itself is cached whole.
    expect((await answerer.answer('prices.current', {}, pool)).tier).toBe('lru');
    expect((await answerer.answer('tab.nem', params('tab.nem', { region: 'SA1' }), pool)).tier).toBe('lru');
  });

  it('a tab asked by two sessions still reaches the second when the first closes while composing it', async () => {
    const answerer = new Answerer(
      new Market(WATERMARK, T0 + 300),
      new TieredCache({ lruBytes: 8 << 20 }),
      new Gate(2, 100),
    );
    const [leader, follower] = [new ConnLane(store.instance), new ConnLane(store.instance)];
    const tab = params('tab.nem', { region: 'VIC1' });
    const led = answerer.answer('tab.nem', tab, leader);
    const followed = answerer.answer('tab.nem', tab, follower); // joins the leader's composition
    void leader.close(); // before any panel query ran: the follower's connection answers them
    await led.catch(() => undefined); // nobody reads it; the follower's connection, lent to the panels, may answer it
    const got = await followed;
    expect(got.tier).toBe('db');
    const whole = encode(await runQuery({ conn: store.conn, watermark: WATERMARK, firstTs: T0 + 300 }, 'tab.nem', tab));
    expect(Buffer.from(got.dataBytes).equals(Buffer.from(whole))).toBe(true);
    await follower.close();
  });

  it('answers every panel of a tab at the market state it started with, even if the market moves meanwhile', async () => {
    const market = new Market(WATERMARK - 3600, T0 + 300);
    const answerer = new Answerer(market, undefined, new Gate(1, 100));
    const pool = holder(store.conn);
    const pending = answerer.answer('tab.nem', params('tab.nem', { region: 'NSW1' }), pool);
    market.advance(WATERMARK);
    const a = await pending;
    expect(a.watermark).toBe(WATERMARK - 3600);
    const whole = encode(
      await runQuery(
        { conn: store.conn, watermark: WATERMARK - 3600, firstTs: T0 + 300 },
        'tab.nem',
        params('tab.nem', { region: 'NSW1' }),
      ),
    );
    expect(Buffer.from(a.dataBytes).equals(Buffer.from(whole))).toBe(true);
  });

  it('refuses a tab as overloaded when its panels cannot queue, and caches nothing for it', async () => {
    const market = new Market(WATERMARK, T0 + 300);
    const cache = new TieredCache({ lruBytes: 8 << 20 });
    const gate = new Gate(1, 0);
    const answerer = new Answerer(market, cache, gate);
    let release = () => {};
    const busy = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    const p = params('tab.prices', { range: '7d' });
    await expect(answerer.answer('tab.prices', p, holder(store.conn))).rejects.toMatchObject({ code: 'overloaded' });
    expect(cache.has(answerer.keyFor('tab.prices', p))).toBe(false);
    release();
    await busy;
    expect((await answerer.answer('tab.prices', p, holder(store.conn))).tier).toBe('db');
    expect(cache.has(answerer.keyFor('tab.prices', p))).toBe(true);
  });
});
