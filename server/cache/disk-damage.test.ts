// A damaged LMDB data file (meta pages overwritten, or cut short) used to end start-up with SIGSEGV/SIGBUS and no
// message. Each damage is opened in a child process: it must log one warning, start empty and work after.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { payloadFor } from '../../test/util/cache/crash-writer.ts';
import { DiskTier } from './disk.ts';
import { lmdbFileProblem } from './lmdb-file.ts';

const OPENER = new URL('../../test/util/cache/open-cache.ts', import.meta.url).pathname;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A cache folder holding 40 entries, closed. */
async function filledCache(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nemlive-damage-'));
  dirs.push(dir);
  const disk = new DiskTier({ path: dir, maxBytes: 16 << 20 });
  for (let n = 0; n < 40; n++) void disk.set(`k${n}`, payloadFor(n));
  await disk.close();
  return dir;
}

interface Opened {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  report?: { warnings: string[]; entries: number; stored: boolean };
}

function openInChild(dir: string): Promise<Opened> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', OPENER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code, signal) => {
      const line = output.split('\n').find((l) => l.startsWith('{'));
      resolve({ code, signal, output, report: line ? JSON.parse(line) : undefined });
    });
  });
}

/** Overwrites `length` bytes at `offset` with a fixed pseudo-random pattern. */
function scribble(file: string, offset: number, length: number): void {
  const junk = Buffer.from(payloadFor(7).subarray(0, length));
  const fd = openSync(file, 'r+');
  writeSync(fd, junk, 0, length, offset);
  closeSync(fd);
}

const DAMAGES: [string, (file: string, size: number) => void][] = [
  ['both meta pages overwritten', (file) => scribble(file, 0, 8192)],
  ['the second meta page overwritten', (file) => scribble(file, 4096, 4096)],
  [
    'the meta fields after the magic overwritten',
    (file) => (scribble(file, 0x28, 0x78), scribble(file, 4096 + 0x28, 0x78)),
  ],
  ['truncated to half its pages', (file, size) => truncateSync(file, Math.floor(size / 8192) * 4096)],
  ['truncated mid-page', (file, size) => truncateSync(file, size - 1000)],
  ['truncated to a few bytes', (file) => truncateSync(file, 100)],
];

describe('a damaged LMDB data file', () => {
  it.each(DAMAGES)('%s: start-up logs one warning, starts empty and the cache works', async (_name, damage) => {
    const dir = await filledCache();
    const file = join(dir, 'data.mdb');
    damage(file, statSync(file).size);
    expect(lmdbFileProblem(dir)).toBeDefined();

    const opened = await openInChild(dir);
    expect({ code: opened.code, signal: opened.signal }, opened.output).toEqual({ code: 0, signal: null });
    expect(opened.report).toEqual({ warnings: [expect.stringMatching(/damaged/)], entries: 0, stored: true });
    expect(lmdbFileProblem(dir)).toBeUndefined();
  });

  it('leaves a sound file alone: no warning, every entry kept, including after a garbage lock file', async () => {
    const dir = await filledCache();
    expect(lmdbFileProblem(dir)).toBeUndefined();
    scribble(join(dir, 'lock.mdb'), 0, statSync(join(dir, 'lock.mdb')).size);
    const opened = await openInChild(dir);
    expect(opened.report, opened.output).toEqual({ warnings: [], entries: 40, stored: true });
    const disk = new DiskTier({ path: dir, maxBytes: 16 << 20 });
    expect(disk.rebuilt).toBeUndefined();
    expect(Buffer.compare(disk.get('k3')!, payloadFor(3))).toBe(0);
    await disk.close();
  });

  it('never takes a file open in another process for damaged (one being written reads as torn for a moment)', async () => {
    const dir = await filledCache();
    const holder = new DiskTier({ path: dir, maxBytes: 16 << 20 });
    // A tail that is not a whole page: damage by the checker's rules, harmless to LMDB, which only reads its pages.
    appendFileSync(join(dir, 'data.mdb'), Buffer.alloc(1000, 7));
    expect(lmdbFileProblem(dir)).toBeUndefined();
    const opened = await openInChild(dir);
    expect(opened.report, opened.output).toEqual({ warnings: [], entries: 40, stored: true });
    expect(Buffer.compare(holder.get('k3')!, payloadFor(3))).toBe(0);
    await holder.close();
  });
});
