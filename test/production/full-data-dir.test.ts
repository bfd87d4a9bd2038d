// A DATA_DIR that fills up under a running server (LIVE=demo appending every second): the server keeps serving and
// the feed retries, and /healthz must say so (503 `degraded`, the disk's words as the reason) instead of "ok" while
// no interval can be stored. The store lives on a small tmpfs (mount needs root; CI runs as root).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, writeSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoDirs, startServer, type Dirs } from './child.ts';
import { waitFor } from '../util/wait.ts';

const root = mkdtempSync(join(tmpdir(), 'nemlive-fulldata-'));
let base: Dirs | undefined;
let mounted = false;
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', root]);
  rmSync(root, { recursive: true, force: true });
  base?.remove();
});

/** A tmpfs at `dir` with `mb` megabytes; false where mounting is not allowed. */
function tryMount(dir: string, mb: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes zeros into `path` until the disk refuses (ENOSPC). */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 16);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

const canMount = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'nemlive-mountprobe-'));
  const ok = tryMount(probe, 1);
  if (ok) execFileSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

describe.skipIf(!canMount)('a DATA_DIR that fills up while serving', () => {
  it('turns /healthz to 503 `degraded` with the reason, and the server keeps answering', async () => {
    base = await demoDirs(2, 'nemlive-fulldata-src-');
    const storeMb = Math.ceil(statSync(join(base.dataDir, 'nem.duckdb')).size / 2 ** 20);
    mounted = tryMount(root, storeMb + 16);
    expect(mounted).toBe(true);
    const dataDir = join(root, 'data');
    cpSync(base.dataDir, dataDir, { recursive: true });
    const child = startServer(
      { dataDir, cacheDir: join(base.dir, 'cache') },
      { LIVE: 'demo', REPLAY_SECONDS: '1', WARM: '0' },
    );
    try {
      const url = await child.listening();
      const healthz = async () => {
        const res = await fetch(`${url}/healthz`);
        return { status: res.status, body: (await res.json()) as { status: string; store?: { reason?: string } } };
      };
      expect((await healthz()).status).toBe(200);
      fillDisk(join(root, 'filler'));
      const full = await waitFor(healthz, (h) => h.status === 503, 30_000);
      expect(full.body.status).toBe('degraded');
      expect(full.body.store?.reason).toMatch(/No space left on device|Could not write/);
      // Still serving what it holds.
      const mix = await fetch(`${url}/metrics`);
      expect(mix.status).toBe(200);
    } finally {
      child.proc.kill('SIGKILL');
      await child.exit;
    }
  });
});
