// Cache keys follow the store across restarts: an offline ingest that revises past data, or a DATA_DIR rebuilt
// under the same CACHE_DIR, must never be answered from LMDB entries of the data before (fixed past windows,
// which never expire, included). Each answer is compared with a fresh computation without any cache.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp } from '../../server/app.ts';
import { fill, rawRows, WATERMARK } from '../util/synthetic-data.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { openStore } from '../../server/store/db.ts';
import { ingestBuffer } from '../../server/store/ingest.ts';
import { makeStoreDir, TestClient } from '../server/harness.ts';
import { freshAnswers, type Question } from './fresh.ts';
import { priceCsv } from '../../bench/nemweb/files.ts';

const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

// A fixed window (ends over a day before the watermark) and a relative one, both over SA1 prices.
const FROM = WATERMARK - 3 * 86400 + 3600;
const TO = WATERMARK - 86400 - 3600;
const QUESTIONS: Question[] = [
  { kind: 'prices.stats', params: { regions: ['SA1'], from: FROM, to: TO } },
  { kind: 'prices.history', params: { regions: ['SA1'], from: FROM, to: TO, resolution: '5m' } },
  { kind: 'prices.stats', params: { regions: ['SA1'], range: '7d' } },
];

async function serveAndAsk(dataDir: string, cacheDir: string): Promise<{ data: unknown; cache: string }[]> {
  const config = loadConfig([], {
    DATA_DIR: dataDir,
    CACHE_DIR: cacheDir,
    PORT: '0',
    WARM: '0',
    LIVE: 'off',
    DUCKDB_THREADS: '1',
    LOG_LEVEL: 'silent',
  });
  const app = await startApp(config, { log: createLogger('silent') });
  const c = await TestClient.open(app.wsUrl);
  try {
    const out = [];
    for (const q of QUESTIONS) {
      const r = await c.query(q.kind, q.params);
      expect(r.t, JSON.stringify(r)).toBe('result');
      out.push({ data: r.data, cache: r.meta.cache as string });
    }
    return out;
  } finally {
    await c.close();
    await app.close();
  }
}

/** The same questions computed straight from the store, no cache anywhere. */
const fresh = async (dataDir: string) => (await freshAnswers(dataDir, QUESTIONS)).data;

const maxOf = (stats: unknown) =>
  (stats as { rows: { region: string; max: number }[] }).rows.find((r) => r.region === 'SA1')!.max;

describe('cache keys across restarts', () => {
  it('an offline ingest revising past prices is never answered from the cache of the data before it', async () => {
    const store = await makeStoreDir('nemlive-gen-');
    dirs.push(store);
    const first = await serveAndAsk(store.dataDir, store.cacheDir);
    expect((await serveAndAsk(store.dataDir, store.cacheDir)).map((a) => a.cache)).toEqual(['lmdb', 'lmdb', 'lmdb']);

    // `npm run ingest` while the server is stopped: one SA1 price inside the fixed window, revised.
    const { instance } = await openStore({ dataDir: store.dataDir, threads: 1 });
    const conn = await instance.connect();
    await ingestBuffer(
      conn,
      'revision.CSV',
      new TextEncoder().encode(priceCsv([{ ts: FROM + 7200, region: 'SA1', rrp: 12345.5 }])),
    );
    conn.closeSync();
    instance.closeSync();

    const after = await serveAndAsk(store.dataDir, store.cacheDir);
    expect(after.map((a) => a.cache)).toEqual(['db', 'db', 'db']);
    expect(maxOf(after[0].data)).toBe(12345.5);
    expect(maxOf(first[0].data)).not.toBe(12345.5);
    expect(after.map((a) => a.data)).toEqual(await fresh(store.dataDir));
  });

  it('a DATA_DIR rebuilt with other data under the same CACHE_DIR is never answered from the old entries', async () => {
    const store = await makeStoreDir('nemlive-gen-');
    dirs.push(store);
    const before = await serveAndAsk(store.dataDir, store.cacheDir);

    rmSync(store.dataDir, { recursive: true, force: true });
    const { instance } = await openStore({ dataDir: store.dataDir, threads: 1 });
    const conn = await instance.connect();
    const raw = rawRows();
    for (const p of raw.price) p.rrp += 1;
    await fill(conn, raw);
    conn.closeSync();
    instance.closeSync();

    const after = await serveAndAsk(store.dataDir, store.cacheDir);
    expect(after.map((a) => a.cache)).toEqual(['db', 'db', 'db']);
    expect(maxOf(after[0].data)).toBeCloseTo(maxOf(before[0].data) + 1, 6);
    expect(after.map((a) => a.data)).toEqual(await fresh(store.dataDir));
  });
});
