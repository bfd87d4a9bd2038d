// Spawned by server/cache/disk-crash.test.ts: writes deterministic entries into a DiskTier as fast as it can
// until killed. Every entry's bytes are a function of its number, so a reader can verify what survived.
import { fileURLToPath } from 'node:url';
import { DiskTier } from '../../../server/cache/disk.ts';

/** The payload for entry n: length and content both derived from n. */
export function payloadFor(n: number): Uint8Array {
  let x = (n * 2654435761) >>> 0 || 1;
  const len = 50 + (x % 40_000);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

async function main(): Promise<void> {
  const [path, maxBytes, start] = process.argv.slice(2);
  const disk = new DiskTier({ path, maxBytes: Number(maxBytes) });
  if (disk.rebuilt) process.stderr.write(`rebuilt a sound cache: ${disk.rebuilt}\n`); // a kill must never look like damage
  // Ready once the first entry is committed: a kill soon after must leave something to verify, however slow the disk.
  await disk.set(`k${start}`, payloadFor(Number(start)));
  process.stdout.write('ready\n');
  for (let n = Number(start) + 1; ; n++) {
    const pending = disk.set(`k${n}`, payloadFor(n));
    if (n % 7 === 0) disk.get(`k${n - 3}`); // recency updates ride along with the writes
    if (n % 5 === 0) await pending;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void main();
