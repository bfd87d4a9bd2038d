// Warmup over a real DuckDB store (the catalogue's synthetic one) and a real LMDB cache in temp dirs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import { encode } from '../../shared/protocol.ts';
import { runQuery } from '../catalogue/index.ts';
import { tabPanels } from '../catalogue/tabs.ts';
import { WATERMARK, type TestStore } from '../../test/util/synthetic-data.ts';
import { TieredCache } from '../cache/tiered.ts';
import { checked, syntheticStore } from '../../test/util/catalogue.ts';
import { storeAnswerPath, type StoreAnswerPath } from './store-path.ts';
import { warmList } from './list.ts';
import { refreshHot, runWarmup } from './run.ts';

let store: TestStore;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'nemlive-warm-'));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  ({ store } = await syntheticStore());
});
afterAll(() => {
  store.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function pathAt(dir: string): Promise<StoreAnswerPath> {
  return storeAnswerPath(store.conn, new TieredCache({ lruBytes: 32 << 20, diskPath: dir, diskBytes: 256 << 20 }));
}

describe('runWarmup', () => {
  it('stores every listed answer, byte-identical to a direct computation, and a restart finds them all in LMDB', async () => {
    const dir = tempDir();
    const path = await pathAt(dir);
    const list = warmList();
    // A tab is composed from its panels' answers, each stored, and presets that cover the whole store share a key
    // (server/cache/key.ts): a listed question already answered that way is found in the cache, not computed again.
    const answered = new Set<string>();
    let found = 0;
    for (const q of list) {
      if (answered.has(path.keyFor(q.kind, q.params).text)) found++;
      answered.add(path.keyFor(q.kind, q.params).text);
      for (const p of tabPanels(q.kind, q.params) ?? []) answered.add(path.keyFor(p.kind, p.params).text);
    }
    expect(found).toBeGreaterThan(0);
    const seen: string[] = [];
    const summary = await runWarmup(path, { onProgress: (p) => seen.push(`${p.done}/${p.total} ${p.outcome}`) });
    expect(summary).toMatchObject({
      queries: list.length,
      computed: list.length - found,
      alreadyCached: found,
      failed: 0,
      hitRateAfter: 1,
    });
    expect(summary.bytes).toBeGreaterThan(0);
    expect(seen).toHaveLength(list.length);
    expect(seen.at(-1)).toMatch(new RegExp(`^${list.length}/${list.length} (computed|cached)$`));
    expect(path.cache.stats.warmup).toMatchObject({ running: 0, done: list.length, total: list.length });
    await path.cache.close();

    const again = await pathAt(dir);
    const second = await runWarmup(again);
    expect(second).toMatchObject({ queries: list.length, computed: 0, alreadyCached: list.length, hitRateAfter: 1 });
    const ctx = { conn: store.conn, watermark: again.watermark, firstTs: again.firstTs };
    for (const q of [list[0], list[7], list[list.length - 1]]) {
      const cached = await again.answer(q.kind, q.params);
      expect(cached.tier).toBe('lmdb');
      const direct = encode(await runQuery(ctx, q.kind, q.params));
      expect(Buffer.compare(cached.dataBytes, direct), q.kind).toBe(0);
    }
    await again.cache.close();
  });

  it('yields to other work between queries and keeps at most `concurrency` queries in flight', async () => {
    const path = await pathAt(tempDir());
    const list = warmList().slice(0, 24);
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    let inFlight = 0;
    let maxInFlight = 0;
    const answer = path.answer;
    path.answer = async (kind, p) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await answer(kind, p);
      } finally {
        inFlight--;
      }
    };
    const ticksAtProgress: number[] = [];
    await runWarmup(path, { list, concurrency: 2, onProgress: () => ticksAtProgress.push(ticks) });
    ticking = false;
    expect(maxInFlight).toBe(2);
    // Another macrotask ran between every pair of finished queries.
    for (let i = 2; i < ticksAtProgress.length; i += 2)
      expect(ticksAtProgress[i]).toBeGreaterThan(ticksAtProgress[i - 2]);
    await path.cache.close();
  });

  it('counts a failing query and carries on', async () => {
    const path = await pathAt(tempDir());
    const list = [
      {
        kind: 'station.output' as Kind,
        params: checked('station.output', { duid: 'NO_SUCH_UNIT', range: '24h' }) as ParamsOf<Kind>,
      },
      ...warmList().slice(0, 3),
    ];
    const failed: unknown[] = [];
    const summary = await runWarmup(path, { list, onProgress: (p) => p.outcome === 'failed' && failed.push(p.error) });
    // Either the catalogue answers an unknown unit with an empty series or it refuses: both are counted.
    expect(summary.computed + summary.failed).toBe(4);
    expect(summary.failed).toBe(failed.length);
    expect(summary.hitRateAfter).toBe((4 - summary.failed) / 4);
    await path.cache.close();
  });
});

describe('refreshHot', () => {
  it('recomputes the most asked questions of the previous watermark once the data moves, and only once', async () => {
    const path = await pathAt(tempDir());
    const w0 = path.watermark;
    expect(w0).toBe(WATERMARK);
    const busy = checked('tab.generation', { region: 'SA1', range: '24h' });
    const busier = checked('tab.prices', { range: '7d' });
    const quiet = checked('generation.mix', { region: 'NSW1' });
    // Fixed: it ends over a day before the watermark (server/cache/key.ts isFixedPast).
    const fixed = checked('generation.byFuel', { region: 'SA1', from: w0 - 2 * 86400, to: w0 - 86400 - 3600 });
    for (let i = 0; i < 3; i++) await path.answer('tab.generation', busy);
    for (let i = 0; i < 5; i++) await path.answer('tab.prices', busier);
    await path.answer('generation.mix', quiet);
    for (let i = 0; i < 9; i++) await path.answer('generation.byFuel', fixed);

    // A new interval lands and the answer path moves to it.
    await store.conn.run(
      `INSERT INTO price VALUES (${w0 + 300}, 'NSW1', 91.5, 8100), (${w0 + 300}, 'SA1', 71.25, 1450)`,
    );
    const w1 = await path.refresh();
    expect(w1).toBe(w0 + 300);

    const summary = await refreshHot(path, w1, { limit: 2 });
    expect(summary).toMatchObject({ queries: 2, computed: 2, failed: 0, hitRateAfter: 1 });
    expect(path.cache.has(path.keyFor('tab.prices', busier))).toBe(true);
    expect(path.cache.has(path.keyFor('tab.generation', busy))).toBe(true);
    expect(path.cache.has(path.keyFor('generation.mix', quiet))).toBe(false);
    expect((await path.answer('tab.prices', busier)).tier).toBe('lru');
    expect(await refreshHot(path, w1, { limit: 2 })).toMatchObject({ queries: 0 });
    expect(path.cache.stats.hotRefresh).toMatchObject({ runs: 1, queries: 2 });

    // A revision at the same watermark moves the store to a new generation of keys: refreshed once more.
    await path.answer('generation.mix', quiet);
    path.generation = 'r1';
    const revised = await refreshHot(path, w1, { limit: 3 });
    expect(revised).toMatchObject({ queries: 3, computed: 3, failed: 0 });
    expect(path.cache.has(path.keyFor('generation.mix', quiet))).toBe(true);
    expect(await refreshHot(path, w1, { limit: 3 })).toMatchObject({ queries: 0 });
    await path.cache.close();
  });
});
