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
    series: { Wind: time.map((t, i) => (i % 97 === 0 ? null : Math.sin(t / 3600) * 812.25)), Solar: time.map((t) => (t % 86400) / 71.5) },
    unit: 'MW',
    table: [{ fuel: 'Wind', avgMw: 412.5, gwh: 69.3, share: 41.2, vwap: 38.04 }],
  });
}

describe('TieredCache', () => {
  it('answers byte-identically from the computation, the LRU, and LMDB after a restart', async () => {
    const dir = tempDir();
    const key = makeKey('generation.byFuel', params, 1_700_000_000);
    const first = cacheAt(dir);
    const computed = await first.getOrCompute(key, async () => answerAt(1_700_000_000));
    expect(computed.tier).toBe('db');
    const fromLru = await first.getOrCompute(key, async () => {
      throw new Error('must not recompute');
    });
    expect(fromLru.tier).toBe('lru');
    expect(Buffer.compare(fromLru.bytes, computed.bytes)).toBe(0);
    await first.close();

    const second = cacheAt(dir);
    const fromDisk = second.get(key);
    expect(fromDisk?.tier).toBe('lmdb');
    expect(Buffer.compare(fromDisk!.bytes, computed.bytes)).toBe(0);
    const promoted = second.get(key);
    expect(promoted?.tier).toBe('lru');
    expect(Buffer.compare(promoted!.bytes, computed.bytes)).toBe(0);
    expect(decode(promoted!.bytes)).toEqual(decode(answerAt(1_700_000_000)));
    expect(second.stats.hits).toEqual({ lru: 1, lmdb: 1 });
  });

  it('runs one computation for 50 identical concurrent requests, and gives all of them its bytes', async () => {
    const cache = cacheAt(tempDir());
    const key = makeKey('generation.byFuel', params, 1_700_000_000);
    let computes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const compute = async () => {
      computes++;
      await gate; // hold the query open until every request has arrived
      return answerAt(1_700_000_000);
    };
    const answers = Array.from({ length: 50 }, () => cache.getOrCompute(key, compute));
    release();
    const done = await Promise.all(answers);
    expect(computes).toBe(1);
    expect(new Set(done.map((a) => a.bytes)).size).toBe(1);
    expect(done.every((a) => a.tier === 'db')).toBe(true);
    expect(cache.stats.coalesced).toBe(49);
    expect(cache.inFlight).toBe(0);
  });

  it('recomputes when the watermark moves, and serves both watermarks their own answers', async () => {
    const cache = cacheAt(tempDir());
    const computed: number[] = [];
    const at = (w: number) => cache.getOrCompute(makeKey('generation.byFuel', params, w), async () => (computed.push(w), answerAt(w)));
    const a = await at(1_700_000_000);
    const b = await at(1_700_000_300);
    const a2 = await at(1_700_000_000);
    expect(computed).toEqual([1_700_000_000, 1_700_000_300]);
    expect(b.tier).toBe('db');
    expect(Buffer.compare(a.bytes, b.bytes)).not.toBe(0);
    expect(Buffer.compare(a2.bytes, a.bytes)).toBe(0);
  });

  it('does not cache a failed computation: every waiting caller sees the error and the next one retries', async () => {
    const cache = cacheAt(tempDir());
    const key = makeKey('generation.byFuel', params, 1_700_000_000);
    const failing = async () => {
      throw new Error('query interrupted');
    };
    const results = await Promise.allSettled([cache.getOrCompute(key, failing), cache.getOrCompute(key, failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(cache.has(key)).toBe(false);
    const ok = await cache.getOrCompute(key, async () => answerAt(1));
    expect(ok.tier).toBe('db');
    expect(cache.stats.computeErrors).toBe(1);
  });

  it('recomputes an answer whose disk copy was damaged, and stores the fresh one', async () => {
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
    let computes = 0;
    const answer = await second.getOrCompute(key, async () => (computes++, answerAt(1_700_000_000)));
    expect(answer.tier).toBe('db');
    expect(computes).toBe(1);
    expect(second.disk!.corrupt).toBe(1);
    await second.flush();
    second.lru.clear();
    expect(second.get(key)?.tier).toBe('lmdb');
  });

  it('keeps the LRU within its byte cap while LMDB keeps what the LRU evicted', async () => {
    const cache = cacheAt(tempDir(), 1 << 20);
    for (let w = 0; w < 40; w++) await cache.set(makeKey('generation.byFuel', params, 1_700_000_000 + w * 300), answerAt(1_700_000_000 + w * 300));
    expect(cache.lru.bytes).toBeLessThanOrEqual(1 << 20);
    expect(cache.lru.evictions).toBeGreaterThan(0);
    const oldest = cache.get(makeKey('generation.byFuel', params, 1_700_000_000));
    expect(oldest?.tier).toBe('lmdb');
  });
});
