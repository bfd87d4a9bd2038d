// The offline answer path over a real DuckDB store (the catalogue's synthetic days) and a real LMDB cache:
// identical questions asked at once share one computation (server/flight.ts), and a failure is never cached.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../shared/protocol.ts';
import { runQuery } from '../catalogue/index.ts';
import type { TestStore } from '../../test/util/synthetic-data.ts';
import { TieredCache } from '../cache/tiered.ts';
import { metrics } from '../metrics.ts';
import { checked, syntheticStore } from '../../test/util/catalogue.ts';
import { storeAnswerPath, type StoreAnswerPath } from './store-path.ts';

let store: TestStore;
const dirs: string[] = [];
beforeAll(async () => {
  ({ store } = await syntheticStore());
});
afterAll(() => {
  store.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function freshPath(): Promise<StoreAnswerPath> {
  const dir = mkdtempSync(join(tmpdir(), 'nemlive-answer-path-'));
  dirs.push(dir);
  return storeAnswerPath(store.conn, new TieredCache({ lruBytes: 8 << 20, diskPath: dir, diskBytes: 64 << 20 }));
}

/** Askers that joined a computation already running (the server's counter, which Flight keeps). */
const coalesced = async () => (await metrics.coalesced.get()).values[0]?.value ?? 0;

describe('storeAnswerPath', () => {
  it('runs one computation for 50 identical concurrent requests, gives all of them its own bytes, and stores them', async () => {
    const path = await freshPath();
    const params = checked('generation.byFuel', { region: 'SA1', range: '7d' });
    const joined0 = await coalesced();
    const answers = await Promise.all(Array.from({ length: 50 }, () => path.answer('generation.byFuel', params)));
    expect(await coalesced()).toBe(joined0 + 49);
    // One array object: separate computations would each have produced (and copied) their own.
    expect(new Set(answers.map((a) => a.dataBytes)).size).toBe(1);
    expect(answers.every((a) => a.tier === 'db')).toBe(true);
    const bytes = answers[0].dataBytes;
    // Owned, not a view pinning an encoder's buffer.
    expect([bytes.byteOffset, bytes.buffer.byteLength]).toEqual([0, bytes.byteLength]);
    const direct = encode(
      await runQuery(
        { conn: store.conn, watermark: path.watermark, firstTs: path.firstTs },
        'generation.byFuel',
        params,
      ),
    );
    expect(Buffer.compare(bytes, direct)).toBe(0);

    const again = await path.answer('generation.byFuel', params);
    expect(again.tier).toBe('lru');
    expect(Buffer.compare(again.dataBytes, bytes)).toBe(0);
    await path.cache.flush();
    path.cache.lru.clear();
    expect((await path.answer('generation.byFuel', params)).tier).toBe('lmdb');
    await path.cache.close();
  });

  it('does not cache a failed computation: every waiting caller sees the error and the next one retries', async () => {
    const path = await freshPath();
    const params = checked('prices.current');
    const key = path.keyFor('prices.current', params);
    const joined0 = await coalesced();
    // A real failure of the real query: the table it reads is missing while the askers wait.
    await store.conn.run('ALTER TABLE price RENAME TO price_away');
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled([1, 2, 3].map(() => path.answer('prices.current', params)));
    } finally {
      await store.conn.run('ALTER TABLE price_away RENAME TO price');
    }
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const reasons = results.map((r) => (r as PromiseRejectedResult).reason);
    expect(new Set(reasons).size).toBe(1); // one computation's error, handed to every waiter
    expect(String(reasons[0])).toMatch(/price/);
    expect(await coalesced()).toBe(joined0 + 2);
    expect(path.cache.has(key)).toBe(false);

    const retried = await path.answer('prices.current', params);
    expect(retried.tier).toBe('db');
    expect(path.cache.has(key)).toBe(true);
    expect((await path.answer('prices.current', params)).tier).toBe('lru');
    await path.cache.close();
  });
});
