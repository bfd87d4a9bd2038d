// CACHE_DIR as a new user meets it, through `npm start` itself: a folder named like mktemp's (tmp.X1y2Z3) used to
// stop start-up ("Is a directory" from lmdb-js); a path that cannot be a folder stops it with one line (exit 2);
// a full cache disk used to kill the server at its first cache commits (an unhandled rejection inside lmdb-js).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthz, metric, TestClient } from '../server/harness.ts';
import { demoDirs, startServer, type Child, type Dirs } from './child.ts';

let base: Dirs;
beforeAll(async () => {
  base = await demoDirs(1, 'nemlive-cachedir-');
});
afterAll(() => base?.remove());

async function stop(child: Child): Promise<void> {
  child.proc.kill('SIGTERM');
  expect((await child.exit).code).toBe(0);
}

describe('CACHE_DIR', () => {
  it('serves from a folder whose last part has a dot, existing (mktemp -d) or new', async () => {
    const existing = mkdtempSync(join(base.dir, 'tmp.'));
    for (const cacheDir of [existing, join(base.dir, 'cache.v2')]) {
      const child = startServer({ dataDir: base.dataDir, cacheDir });
      const url = await child.listening();
      const ws = await TestClient.open(`${url.replace('http', 'ws')}/ws`);
      expect((await ws.query('prices.current')).t).toBe('result');
      await ws.close();
      await stop(child);
    }
  });

  it('stops start-up with one line naming CACHE_DIR (exit 2) when the path is a file', async () => {
    const file = join(base.dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const child = startServer({ dataDir: base.dataDir, cacheDir: join(file, 'cache') });
    expect((await child.exit).code).toBe(2);
    expect(child.out().trim()).toBe(
      `nem-live: CACHE_DIR=${JSON.stringify(join(file, 'cache'))} cannot be created (${file} is in the way)`,
    );
  });
});

const mnt = mkdtempSync(join(tmpdir(), 'nemlive-fullcache-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', mnt], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

describe.skipIf(!mounted)('a full cache disk (20 MB tmpfs, root only)', () => {
  it('keeps serving cold queries with WARM=0: one warning, nemlive_cache_disk_ok 0, /healthz ok', async () => {
    // Leave ~300 KB: room for the lock file and the first few answers, not for 30 of them.
    const free = (() => {
      const s = statfsSync(mnt);
      return s.bavail * s.bsize;
    })();
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(free - (300 << 10)));
    const cacheDir = join(mnt, 'cache');
    mkdirSync(cacheDir);
    const child = startServer({ dataDir: base.dataDir, cacheDir }, { WARM: '0' });
    const url = await child.listening();
    const ws = await TestClient.open(`${url.replace('http', 'ws')}/ws`);
    const watermark = Date.parse(String(ws.hello.watermark)) / 1000;
    for (let i = 0; i < 30; i++) {
      const to = watermark - i * 300;
      const answer = await ws.query('tab.generation', { region: 'NEM', from: to - 86_400, to, resolution: '5m' });
      expect(answer.t, JSON.stringify(answer)).toBe('result');
    }
    await ws.close();
    expect((await healthz(url)).status).toBe('ok');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metric(metrics, 'nemlive_cache_disk_ok')).toBe(0);
    expect(metric(metrics, 'nemlive_cache_disk_write_errors_total')).toBeGreaterThanOrEqual(1);
    // One warning per outage: a retry 5 s on whose commit fits (a slow machine gets there) ends one and says so.
    const failing = child.out().match(/LMDB cache writes failing/g)?.length ?? 0;
    const resumed = child.out().match(/LMDB cache writes resumed/g)?.length ?? 0;
    expect(failing).toBeGreaterThanOrEqual(1);
    expect(failing).toBe(resumed + 1);
    await stop(child);
  });
});
