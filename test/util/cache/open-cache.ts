// Spawned by server/cache/disk-damage.test.ts: opens the cache in CACHE_DIR argv[2] the way the server does, in its
// own process so that a crash inside LMDB fails the test instead of killing vitest. Prints one JSON line: the
// warnings logged, the entries found, and whether a new answer was stored and read back after a reopen.
import { fileURLToPath } from 'node:url';
import { TieredCache, type CacheLog } from '../../../server/cache/tiered.ts';

async function main(): Promise<void> {
  const dir = process.argv[2];
  const warnings: string[] = [];
  const log: CacheLog = { warn: (_detail, msg) => warnings.push(msg), info: () => undefined };
  const open = () => new TieredCache({ lruBytes: 1 << 20, diskPath: dir, diskBytes: 16 << 20, log });
  const cache = open();
  const entries = cache.disk?.entries ?? -1;
  const bytes = new Uint8Array(5000).map((_, i) => i & 255);
  await cache.set('after', bytes);
  await cache.close();
  const again = open();
  const back = again.disk?.get('after');
  await again.close();
  const stored = back !== undefined && Buffer.compare(back, bytes) === 0;
  process.stdout.write(JSON.stringify({ warnings, entries, stored }) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void main();
