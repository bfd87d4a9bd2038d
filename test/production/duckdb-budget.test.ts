// DUCKDB_THREADS and MAX_COLD_QUERIES by default leave the event loop a core: with the gate full, DuckDB keeps
// `threads − 1` shared workers plus one asking thread per running query busy (server/config.ts, duckdbBudget).
// Under the cache-busting attack (bench/attack.ts) the old defaults (threads = cores, 2 queries) kept 3 threads busy
// on 2 cores and the analysts' cached answers waited for the event loop.
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { duckdbBudget, loadConfig } from '../../server/config.ts';

const busy = (b: { threads: number; maxColdQueries: number }): number => b.threads - 1 + b.maxColdQueries;

describe('default DuckDB budget', () => {
  it('keeps at most cores − 1 DuckDB threads busy on this machine, when no setting is given', () => {
    const cores = cpus().length;
    const c = loadConfig([], {});
    expect(busy(c)).toBeLessThanOrEqual(Math.max(1, cores - 1));
    expect(c.threads).toBeGreaterThanOrEqual(1);
    expect(c.maxColdQueries).toBeGreaterThanOrEqual(1);
  });

  it('uses the other cores on any core count, and the settings still win', () => {
    for (let cores = 1; cores <= 64; cores++) {
      const b = duckdbBudget(cores);
      expect(busy(b), `${cores} cores`).toBe(Math.max(1, cores - 1));
    }
    expect(duckdbBudget(2)).toEqual({ threads: 1, maxColdQueries: 1 });
    expect(loadConfig([], { DUCKDB_THREADS: '2', MAX_COLD_QUERIES: '2' })).toMatchObject({
      threads: 2,
      maxColdQueries: 2,
    });
  });

  it("takes a tool's own default (ingest: every core), which --threads and DUCKDB_THREADS still override", () => {
    expect(loadConfig([], {}, { threads: 7 }).threads).toBe(7);
    expect(loadConfig(['--threads', '3'], {}, { threads: 7 }).threads).toBe(3);
    expect(loadConfig(['--threads=3'], { DUCKDB_THREADS: '5' }, { threads: 7 }).threads).toBe(3);
    expect(loadConfig([], { DUCKDB_THREADS: '5' }, { threads: 7 }).threads).toBe(5);
  });
});
