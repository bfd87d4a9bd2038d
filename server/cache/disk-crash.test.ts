// kill -9 while a process writes: reopening must find every surviving entry intact and the cache usable.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { payloadFor } from '../../test/util/cache/crash-writer.ts';
import { DiskTier } from './disk.ts';

const WRITER = new URL('../../test/util/cache/crash-writer.ts', import.meta.url).pathname;
const CAP = 6 << 20; // small, so eviction sweeps are running too when the kill lands
const dir = mkdtempSync(join(tmpdir(), 'nemlive-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the writer, lets it write for `ms` after its first commit, then SIGKILLs it. */
function writeThenKill(start: number, ms: number): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(CAP), String(start)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), ms));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited early (${code}): ${stderr}`));
      else if (stderr.includes('rebuilt')) reject(new Error(stderr));
      else resolve(signal);
    });
  });
}

it('survives kill -9 during writes: what reads back is intact, the indexes agree, and writes still work', async () => {
  let verified = 0;
  for (let round = 0; round < 6; round++) {
    const start = round * 100_000;
    // From mid first transactions to mid eviction sweeps; the moment is in every failure message.
    const ms = 10 + Math.floor(Math.random() * 700);
    expect(await writeThenKill(start, ms)).toBe('SIGKILL');

    const disk = new DiskTier({ path: dir, maxBytes: CAP });
    expect(disk.rebuilt, `file check after a kill at ${ms} ms`).toBeUndefined();
    const keys = disk.keys();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const n = key.startsWith('after-') ? Number(key.slice(6)) : Number(key.slice(1));
      const got = disk.get(key);
      expect(got, `${key} after a kill at ${ms} ms`).toBeDefined();
      expect(Buffer.compare(got!, payloadFor(n)), `${key} after a kill at ${ms} ms`).toBe(0);
      verified++;
    }
    expect(disk.corrupt).toBe(0);
    expect(disk.audit().consistent, `indexes after a kill at ${ms} ms`).toBe(true);
    expect(disk.fileBytes()).toBeLessThanOrEqual(CAP);
    await disk.set(`after-${round}`, payloadFor(round));
    expect(Buffer.compare(disk.get(`after-${round}`)!, payloadFor(round))).toBe(0);
    await disk.close();
  }
  expect(verified).toBeGreaterThan(50);
});
