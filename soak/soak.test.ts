// A short soak in CI: 100 analysts for a few seconds against a real child server on a 2-day demo store, asserting
// no unexpected errors and no leaked sessions or DuckDB connections (never timings).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdict } from './report.ts';
import { ensureDemoStore } from './demo-store.ts';
import { runSoak } from './run.ts';
import { freePort } from '../server/port.ts';
import { ROOT, spawnServer, type SpawnedServer } from './spawn-server.ts';

let dir: string;
let server: SpawnedServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemlive-soak-'));
  await ensureDemoStore(join(dir, 'data'), 2);
  server = await spawnServer({
    dataDir: join(dir, 'data'),
    cacheDir: join(dir, 'cache'),
    demoDays: 2,
    replaySeconds: 2,
    readyTimeoutMs: 240_000,
  });
}, 300_000);

afterAll(async () => {
  const code = await server?.stop();
  rmSync(dir, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('soak against a real server', () => {
  it('100 analysts: zero errors, pushes arrive, and every session and connection is released', async () => {
    const j = await runSoak({
      url: server.url,
      sockets: 100,
      durationS: 12,
      rampS: 2,
      seed: 7,
      procs: 2,
      thinkMs: 300,
      settleS: 20,
    });
    expect(j.errorSamples).toEqual([]);
    expect(j.errors).toBe(0);
    expect(verdict(j)).toEqual([]);
    expect(j.requests).toBeGreaterThan(100);
    expect(j.cache.lru + j.cache.lmdb + j.cache.db).toBe(j.requests);
    expect(j.questions.distinct).toBeGreaterThan(10);
    expect(j.questions.coldFirstAsks).toBeLessThanOrEqual(Math.min(j.cache.db, j.questions.distinct));
    expect(j.pushes).toBeGreaterThan(0);
    expect(j.server.sessionsPeak).toBeGreaterThan(50);
    expect(j.server.duckdbConnectionsPeak).toBeGreaterThan(50);
    expect(j.server).toMatchObject({ sessionsAfter: 0, duckdbConnectionsAfter: 0 });
    expect(j.server.rssPeakMB).toBeGreaterThan(0);
  }, 120_000);

  it('the CLI writes the JSON report and exits 0 on a clean run', () => {
    const json = join(dir, 'soak.json');
    const out = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'soak/cli.ts',
        '--sockets',
        '20',
        '--duration',
        '4',
        '--think',
        '500',
        '--url',
        server.url,
        '--json',
        json,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 90_000 },
    );
    expect(out.stderr).not.toMatch(/FAIL/);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/soak: PASS/);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining([
        'sockets',
        'durationS',
        'requests',
        'errors',
        'latencyMs',
        'pushes',
        'cacheHitRate',
        'server',
      ]),
    );
    expect(j).toMatchObject({
      sockets: 20,
      durationS: 4,
      errors: 0,
      server: { sessionsAfter: 0, duckdbConnectionsAfter: 0 },
    });
  }, 120_000);

  it('the CLI exits non-zero with a clear message when no server answers', async () => {
    const port = await freePort('127.0.0.1');
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'soak/cli.ts', '--sockets', '1', '--duration', '1', '--url', `ws://127.0.0.1:${port}/ws`],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/no server answers http:\/\/127\.0\.0\.1:\d+\/healthz.*npm start/);
  }, 60_000);
});
