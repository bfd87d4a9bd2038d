// Spawned by server/cache/disk-full.test.ts under a file-size limit: writes answers until the disk tier refuses,
// waits out the pause, tries again, and prints one JSON line of what it saw. Exits 0 unless something crashed it.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { TieredCache, type CacheLog } from '../../../server/cache/tiered.ts';

/** A 200 KB answer whose bytes follow from n (LMDB stores it as is: 50 of them exceed a 4 MB disk). */
export function bulky(n: number): Uint8Array {
  return Buffer.alloc(200_000, n % 251);
}

async function main(): Promise<void> {
  const warnings: string[] = [];
  const log: CacheLog = { warn: (_detail, msg) => warnings.push(msg), info: () => undefined };
  const cache = new TieredCache({
    lruBytes: 64 << 20,
    diskPath: process.argv[2],
    diskBytes: 64 << 20,
    log,
    diskRetryMs: 50,
  });
  const answer = bulky;
  let n = 0;
  while (n < 100 && cache.lmdbWritable()) await cache.set(`k${n}`, answer(n++));
  await sleep(200); // past the pause: the next write is a retry
  for (let i = 0; i < 5; i++) await cache.set(`retry${i}`, answer(500 + i));
  const lruServed = cache.get(`k${n - 1}`)?.tier === 'lru';
  const first = cache.disk?.get('k0');
  const diskServed = first !== undefined && Buffer.compare(first, answer(0)) === 0;
  const report = {
    warnings,
    writable: cache.lmdbWritable(),
    writeErrors: cache.lmdbWriteErrors(),
    lruServed,
    diskServed,
    written: n,
  };
  await cache.close();
  process.stdout.write(JSON.stringify(report) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void main();
