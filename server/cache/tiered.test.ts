import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { validateParams } from '../../shared/kinds.ts';
import { decode, encode } from '../../shared/protocol.ts';
import { DISK_FORMAT, HEADER_BYTES } from './envelope.ts';
import { makeKey } from './key.ts';
import { TieredCache } from './tiered.ts';

const dirs: string[] = [];
const caches: TieredCache[] = [];
function cacheAt(dir: string, lruBytes = 8 << 20): TieredCache {
  const c = new TieredCache({ lruBytes, diskPath: dir, diskBytes: 64 << 20 });
  caches.push(c);
  return c;
}
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'nemlive-tiered-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const c of caches.splice(0)) await c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const params = (() => {
  const v = validateParams('generation.byFuel', { region: 'SA1', range: '7d' });
  if (!v.ok) throw new Error(v.message);
  return v.params;
})();
/** A result payload shaped like the real one: columnar series with floats, nulls and a table. */
function answerAt(watermark: number): Uint8Array {
  const time = Array.from({ length: 2016 }, (_, i) => watermark - (2015 - i) * 300);
  return encode({
    time,
    series: {
      Wind: time.map((t, i) => (i % 97 === 0 ? null : Math.sin(t / 3600) * 812.25)),
      Solar: time.map((t) => (t % 86400) / 71.5),
    },
    unit: 'MW',
    table: [{ fuel: 'Wind', avgMw: 412.5, gwh: 69.3, share: 41.2, vwap: 38.04 }],
  });
}

describe('TieredCache', () => {
  it('answers byte-identically from the LRU, and from LMDB after a restart (then from the LRU it was promoted to)', async () => {
    const dir = tempDir();
    const key = makeKey('generation.byFuel', params, 1_700_000_000);
    const first = cacheAt(dir);
    expect(first.get(key)).toBeUndefined();
    await first.set(key, answerAt(1_700_000_000));
    expect(first.has(key)).toBe(true);
    const fromLru = first.get(key);
    expect(fromLru?.tier).toBe('lru');
    expect(Buffer.compare(fromLru!.bytes, answerAt(1_700_000_000))).toBe(0);
    expect(first.stats).toMatchObject({ hits: { lru: 1, lmdb: 0 }, misses: 1 });
    await first.close();

    const second = cacheAt(dir);
    expect(second.has(key)).toBe(true);
    const fromDisk = second.get(key);
    expect(fromDisk?.tier).toBe('lmdb');
    expect(Buffer.compare(fromDisk!.bytes, answerAt(1_700_000_000))).toBe(0);
    const promoted = second.get(key);
    expect(promoted?.tier).toBe('lru');
    expect(Buffer.compare(promoted!.bytes, answerAt(1_700_000_000))).toBe(0);
    expect(decode(promoted!.bytes)).toMatchObject({ unit: 'MW', table: [{ fuel: 'Wind', avgMw: 412.5 }] });
    expect(second.stats).toMatchObject({ hits: { lru: 1, lmdb: 1 }, misses: 0 });
  });

  it('keeps each watermark its own answer: a key at a new watermark misses until it is stored', async () => {
    const cache = cacheAt(tempDir());
    const at = (w: number) => makeKey('generation.byFuel', params, w);
    await cache.set(at(1_700_000_000), answerAt(1_700_000_000));
    expect(cache.has(at(1_700_000_300))).toBe(false);
    expect(cache.get(at(1_700_000_300))).toBeUndefined();
    await cache.set(at(1_700_000_300), answerAt(1_700_000_300));
    const a = cache.get(at(1_700_000_000))!;
    const b = cache.get(at(1_700_000_300))!;
    expect(Buffer.compare(a.bytes, answerAt(1_700_000_000))).toBe(0);
    expect(Buffer.compare(b.bytes, answerAt(1_700_000_300))).toBe(0);
    expect(Buffer.compare(a.bytes, b.bytes)).not.toBe(0);
    expect(cache.stats.misses).toBe(1);
  });

  it('drops a damaged disk entry as a miss, counts it, and keeps the fresh answer stored after it', async () => {
    const dir = tempDir();
    const key = makeKey('generation.byFuel', params, 1_700_000_000);
    const first = cacheAt(dir);
    await first.set(key, answerAt(1_700_000_000));
    await first.close();
    const raw = open({ path: dir, maxDbs: 16 });
    const answers = raw.openDB<Buffer, string>(`answers.v${DISK_FORMAT}`, { encoding: 'binary' });
    const damaged = Buffer.from(answers.getBinary(key.text)!);
    damaged[HEADER_BYTES + 10] ^= 1;
    answers.putSync(key.text, damaged);
    await raw.close();

    const second = cacheAt(dir);
    expect(second.get(key)).toBeUndefined();
    expect(second.disk!.corrupt).toBe(1);
    expect(second.stats.misses).toBe(1);
    await second.set(key, answerAt(1_700_000_000));
    await second.flush();
    second.lru.clear();
    const fresh = second.get(key);
    expect(fresh?.tier).toBe('lmdb');
    expect(Buffer.compare(fresh!.bytes, answerAt(1_700_000_000))).toBe(0);
    expect(second.disk!.corrupt).toBe(1);
  });

  it('keeps the LRU within its byte cap while LMDB keeps what the LRU evicted', async () => {
    const cache = cacheAt(tempDir(), 1 << 20);
    for (let w = 0; w < 40; w++)
      await cache.set(makeKey('generation.byFuel', params, 1_700_000_000 + w * 300), answerAt(1_700_000_000 + w * 300));
    expect(cache.lru.bytes).toBeLessThanOrEqual(1 << 20);
    expect(cache.lru.evictions).toBeGreaterThan(0);
    const oldest = cache.get(makeKey('generation.byFuel', params, 1_700_000_000));
    expect(oldest?.tier).toBe('lmdb');
  });
});
