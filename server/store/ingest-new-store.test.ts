// `npm run ingest` into a new DATA_DIR with AEMO's price and SCADA archives only (no registry CSV passed), as a new
// user runs it: the store gets the shipped registry first, so the units are named, station.output answers and the
// fuel mix holds them. The CLI runs as a child process; the store is then queried through the catalogue.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { ask } from '../../test/util/catalogue.ts';
import { openStore, readWatermark } from './db.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/aemo');
const SCADA = join(FIXTURES, 'PUBLIC_ARCHIVE%23DISPATCH_UNIT_SCADA%23FILE01%23202604010000.zip');
const PRICE = join(FIXTURES, 'PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip');

const dir = mkdtempSync(join(tmpdir(), 'nem-new-store-'));
let instance: DuckDBInstance | undefined;
afterAll(() => {
  instance?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  spawnSync(
    join(import.meta.dirname, '../../node_modules/.bin/tsx'),
    [join(import.meta.dirname, 'ingest-cli.ts'), ...args],
    {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, DATA_DIR: dir },
      timeout: 120_000,
    },
  );

describe('npm run ingest into a new store, without a registry CSV', () => {
  it('loads the shipped registry first and says so, once', () => {
    const first = cli([SCADA, PRICE]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.split('\n')[0]).toBe(
      "registry: 561 units from server/store/seed/registry.csv (AEMO's, shipped), as this store had none",
    );
    expect(first.stdout).not.toContain('not in the registry');
    const again = cli([SCADA]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('registry:');
  });

  it('answers station.output for a unit in the files, and the fuel mix holds it', async () => {
    ({ instance } = await openStore({ dataDir: dir, threads: 2 }));
    const conn = await instance.connect();
    const wm = (await readWatermark(conn))!;
    const ctx = { conn, watermark: wm.watermark, firstTs: wm.firstTs };
    const hdwf = await ask(ctx, 'station.output', { duid: 'HDWF2', range: 'all', resolution: '1d' });
    expect(hdwf).toMatchObject({ fuel: 'Wind', region: 'SA1' });
    expect(hdwf.energyMwh).toBeGreaterThan(0);
    const mix = await ask(ctx, 'generation.byFuel', { region: 'SA1', range: 'all' });
    expect(mix.table.map((r) => r.fuel).sort()).toEqual(['Gas', 'Wind']);
    expect(mix.table.find((r) => r.fuel === 'Wind')!.gwh).toBeGreaterThan(0);
    const now = await ask(ctx, 'generation.mix', { region: 'SA1' });
    expect(now.fuels.map((f) => f.fuel).sort()).toEqual(['Gas', 'Wind']);
  });
});
