import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FdReserve, openFilesLimit, outOfFds, sessionCap, sessionsWithin } from './fd-limit.ts';

const dir = mkdtempSync(join(tmpdir(), 'nemlive-fdlimit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function limitsFile(openFiles: string): string {
  const path = join(dir, `limits-${openFiles.replace(/\s+/g, '_')}`);
  const lines = [
    'Limit                     Soft Limit           Hard Limit           Units',
    'Max processes             63704                63704                processes',
    `Max open files            ${openFiles}                files`,
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('open-files limit', () => {
  it('reads the soft limit; none when unlimited or unreadable', () => {
    expect(openFilesLimit(limitsFile('1024                 524288'))).toBe(1024);
    expect(openFilesLimit(limitsFile('unlimited            unlimited'))).toBeUndefined();
    expect(openFilesLimit(join(dir, 'missing'))).toBeUndefined();
    expect(openFilesLimit()).toBeGreaterThan(0); // this process's, on Linux
  });

  it('caps sessions below the limit, leaving room for the rest of the process', () => {
    expect(sessionsWithin(1024)).toBe(1024 - 128 - 32 - 64);
    expect(sessionCap(20_000, 1024)).toBe(800);
    expect(sessionCap(500, 1024)).toBe(500);
    expect(sessionsWithin(100)).toBeGreaterThanOrEqual(1);
  });

  it('holds and gives back descriptors; sees when none is left', () => {
    const reserve = new FdReserve();
    expect(reserve.fill(5)).toBe(true);
    expect(reserve.size).toBe(5);
    reserve.release(2);
    expect(reserve.size).toBe(2);
    reserve.release();
    expect(reserve.size).toBe(0);
    expect(outOfFds()).toBe(false);
  });
});
