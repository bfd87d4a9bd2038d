// A full cache disk used to kill the process: lmdb-js rejects a second, internal promise for each failed commit,
// and nothing handled it. Now writes pause (one warning, nemlive_cache_disk_ok 0, failures counted), reads go on,
// and writes are retried after a backoff and resume once there is room.
//
// Two ways to fill a disk: a 20 MB tmpfs (needs mount, i.e. root; CI runs as root), and a file-size limit
// (prlimit --fsize, EFBIG) in a child process, which works for any user. lmdb-js grows its map on MDB_MAP_FULL, so
// a full map is not a way to get there.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { payloadFor } from '../../test/util/cache/crash-writer.ts';
import { bulky } from '../../test/util/cache/fill-cache.ts';
import { registerCacheMetrics } from './metrics.ts';
import { TieredCache, type CacheLog } from './tiered.ts';

const FILLER = new URL('../../test/util/cache/fill-cache.ts', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'nemlive-full-'));
const mounted = tryMount(root);
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', root]); // lazy: an mmap left by a failed test must not keep it mounted
  rmSync(root, { recursive: true, force: true });
});

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fills what is left of the disk holding `file` (a write past the end fails with ENOSPC). */
function fillUp(file: string): void {
  for (let i = 0; i < 100; i++) {
    try {
      writeFileSync(`${file}.${i}`, Buffer.alloc(1 << 20));
    } catch {
      return;
    }
  }
}

describe.skipIf(!mounted)('a cache folder on a full 20 MB tmpfs', () => {
  it('pauses writes with one warning and a metric, serves reads, survives a restart and resumes once there is room', async () => {
    writeFileSync(join(root, 'filler'), Buffer.alloc(16 << 20));
    const warn: string[] = [];
    const info: string[] = [];
    const log: CacheLog = { warn: (_d, msg) => warn.push(msg), info: (_d, msg) => info.push(msg) };
    const dir = join(root, 'cache');
    const open = () =>
      new TieredCache({ lruBytes: 64 << 20, diskPath: dir, diskBytes: 64 << 20, log, diskRetryMs: 100 });
    let cache = open();
    const registry = new Registry();
    registerCacheMetrics(registry, () => cache);
    const metric = async (name: string) =>
      Number(
        (await registry.metrics())
          .split('\n')
          .find((l) => l.startsWith(`${name} `))
          ?.split(' ')[1],
      );

    // 200 KB answers into ~4 MB of room: the disk refuses within a few dozen.
    let n = 0;
    while (n < 100 && cache.lmdbWritable()) await cache.set(`k${n}`, bulky(n++));
    expect(cache.lmdbWritable()).toBe(false);
    expect(n).toBeLessThan(100);
    for (let i = 0; i < 30; i++) await cache.set(`more${i}`, payloadFor(1000 + i)); // while paused: dropped quietly
    // One warning per outage: a small answer may still fit once the 100 ms pause ends (a resume, then a new outage).
    for (const m of warn) expect(m).toMatch(/writes failing/);
    expect(warn.length).toBe(info.length + 1);
    expect(await metric('nemlive_cache_disk_ok')).toBe(0);
    expect(await metric('nemlive_cache_disk_write_errors_total')).toBeGreaterThanOrEqual(1);
    expect(cache.get(`k${n - 1}`)?.tier).toBe('lru'); // what failed to reach the disk is still answered
    expect(cache.get('more29')?.tier).toBe('lru');
    expect(Buffer.compare(cache.disk!.get('k0')!, bulky(0))).toBe(0);

    // A restart on a disk with no room left at all.
    await cache.close();
    fillUp(join(root, 'filler'));
    cache = open();
    expect(Buffer.compare(cache.disk!.get('k0')!, bulky(0))).toBe(0);
    // Counted from here: closing the first cache may have written its last queued answer (and said "resumed").
    const before = warn.length;
    const resumedBefore = info.length;
    await cache.set('restarted', bulky(1));
    expect(cache.lmdbWritable()).toBe(false);
    expect(warn).toHaveLength(before + 1);

    // Room again: the next write after the pause goes through.
    execFileSync('sh', ['-c', `rm -f ${join(root, 'filler')}*`]);
    for (let tries = 0; tries < 600 && !cache.lmdbWritable(); tries++) {
      await new Promise((r) => setTimeout(r, 50));
      await cache.set(`resume${tries}`, payloadFor(tries));
    }
    expect(cache.lmdbWritable()).toBe(true);
    // Each pause that ends says so once; a nearly full disk may refuse again right after a resume (flapping), and
    // then warns and resumes again, so count pairs rather than one of each: since the restart, every outage ended.
    expect(info.length).toBeGreaterThan(resumedBefore);
    for (const m of info) expect(m).toMatch(/resumed/);
    expect(warn.length - before).toBe(info.length - resumedBefore);
    expect(await metric('nemlive_cache_disk_ok')).toBe(1);
    await cache.set('after', payloadFor(5));
    await cache.close();
    cache = open();
    expect(Buffer.compare(cache.disk!.get('after')!, payloadFor(5))).toBe(0);
    expect(cache.disk!.audit().consistent).toBe(true);
    await cache.close();
  });

  it('opens without a disk tier, with one warning, when the disk cannot even hold the lock file', async () => {
    fillUp(join(root, 'filler'));
    const warn: string[] = [];
    const cache = new TieredCache({
      lruBytes: 1 << 20,
      diskPath: join(root, 'fresh'),
      diskBytes: 64 << 20,
      log: { warn: (_d, m) => warn.push(m), info: () => undefined },
    });
    expect(cache.disk).toBeUndefined();
    expect(warn).toEqual([expect.stringMatching(/cannot open/)]);
    await cache.set('a', payloadFor(1));
    expect(cache.get('a')?.tier).toBe('lru');
    await cache.close();
    execFileSync('sh', ['-c', `rm -f ${join(root, 'filler')}*`]);
  });
});

describe.skipIf(!hasPrlimit())('a cache file that may not grow (prlimit --fsize: EFBIG)', () => {
  it('keeps the process alive: one warning, reads served, retries that fail again stay quiet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nemlive-fsize-'));
    try {
      const child = spawn('prlimit', [`--fsize=${4 << 20}`, process.execPath, '--import', 'tsx', FILLER, dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code, output).toBe(0);
      const report = JSON.parse(output.split('\n').find((l) => l.startsWith('{'))!);
      expect(report).toMatchObject({
        warnings: [expect.stringMatching(/writes failing/)],
        writable: false,
        lruServed: true,
        diskServed: true,
      });
      expect(report.writeErrors).toBeGreaterThanOrEqual(2); // the retry after the pause was made, and failed again
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
