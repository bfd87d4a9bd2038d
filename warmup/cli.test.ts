// `npm run warmup` end to end: a real store on disk, the CLI as a child process, LMDB filled and reused.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore } from '../server/store/db.ts';
import { fill, rawRows } from '../test/util/synthetic-data.ts';
import { warmList } from '../server/warmup/list.ts';

const root = mkdtempSync(join(tmpdir(), 'nemlive-warmcli-'));
const dataDir = join(root, 'data');
const cacheDir = join(root, 'cache');
beforeAll(async () => {
  const { instance } = await openStore({ dataDir, threads: 1 });
  const conn = await instance.connect();
  await fill(conn, rawRows());
  conn.closeSync();
  instance.closeSync(); // the CLI opens the store itself
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const warmup = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', new URL('./cli.ts', import.meta.url).pathname, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DATA_DIR: dataDir, CACHE_DIR: cacheDir, LMDB_MB: '64', DUCKDB_THREADS: '1' },
  });

it('fills the cache with the whole list and prints a summary; a second run finds everything cached', () => {
  const n = warmList().length;
  const first = warmup();
  expect(first.stderr).not.toMatch(/failed/);
  expect(first.status).toBe(0);
  // Questions a listed tab already answered as its panels (or that share a key) are found cached, not computed.
  const summary =
    /^warmup: (\d+) queries \((\d+) computed, (\d+) already cached\) in [\d.]+ s, [\d.]+ MB encoded, hit rate after 100\.0% → /.exec(
      first.stdout,
    );
  expect(summary, first.stdout).not.toBeNull();
  const [queries, computed, cached] = summary!.slice(1).map(Number);
  expect([queries, computed + cached]).toEqual([n, n]);
  expect(Math.min(computed, cached)).toBeGreaterThan(0);
  expect(first.stderr).toMatch(new RegExp(`warmup ${n}/${n} 100%`)); // progress lines (not a terminal: every 10%)
  const second = warmup();
  expect(second.status).toBe(0);
  expect(second.stdout).toContain(`(0 computed, ${n} already cached)`);
});

it('says what to do when there is no store', () => {
  const r = warmup('--data-dir', join(root, 'nothing-here'));
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/no store at .*npm start/);
});

it('says on stderr that a damaged cache file was rebuilt, then fills the new one', () => {
  const damaged = join(root, 'damaged-cache');
  mkdirSync(damaged);
  writeFileSync(join(damaged, 'data.mdb'), Buffer.alloc(64 << 10, 0xab)); // no LMDB meta page anywhere
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL('./cli.ts', import.meta.url).pathname], {
    encoding: 'utf8',
    env: { ...process.env, DATA_DIR: dataDir, CACHE_DIR: damaged, LMDB_MB: '64', DUCKDB_THREADS: '1' },
  });
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/^warmup: LMDB cache file was damaged/m);
  expect(r.stdout).toMatch(/hit rate after 100\.0%/);
});
