// A store damaged under a running server: blocks in the middle of nem.duckdb overwritten after start, then questions
// no cache holds (so DuckDB loads blocks from the file). Queries that read a damaged block fail; /healthz must stop
// saying "ok" (503 `degraded` with the reason) and /metrics must show it, with one process and with WORKERS=2 (the
// supervisor owns the store; whichever worker answers /healthz reports it).
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, TestClient } from '../server/harness.ts';
import { copyDirs, demoDirs, startServer, type Dirs } from './child.ts';
import { waitFor } from '../util/wait.ts';

let base: Dirs;
const made: Dirs[] = [];
beforeAll(async () => {
  base = await demoDirs(2, 'nemlive-storehealth-');
});
afterAll(() => {
  base?.remove();
  made.forEach((d) => d.remove());
});

/** Overwrites 4 KB inside every 256 KB block between a quarter and nine tenths of the file. */
function damage(dataDir: string): void {
  const path = join(dataDir, 'nem.duckdb');
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  try {
    for (let at = Math.floor(size / 4); at < size * 0.9; at += 256 * 1024)
      writeSync(fd, randomBytes(4096), 0, 4096, at);
  } finally {
    closeSync(fd);
  }
}

/** Questions over whole tables at 5-minute resolution: none is cached (WARM=0), each reads its table's blocks. */
const COLD = [
  { kind: 'prices.history', params: { range: 'all', resolution: '5m' } },
  { kind: 'generation.byFuel', params: { region: 'NEM', range: 'all', resolution: '5m' } },
  { kind: 'interconnectors.flows', params: { region: 'NEM', range: 'all', resolution: '5m' } },
  { kind: 'stations.table', params: { range: 'all' } },
  { kind: 'renewables.share', params: { region: 'SA1', range: 'all', resolution: '5m' } },
  { kind: 'station.output', params: { duid: 'ADPBA1', range: 'all', resolution: '5m' } },
];

interface Healthz {
  status: number;
  body: { status: string; store?: { ok: boolean; reason?: string; failures: number } };
}

async function healthz(url: string): Promise<Healthz> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as never };
}

for (const workers of ['1', '2']) {
  describe(`a store damaged while serving, WORKERS=${workers}`, () => {
    it('makes /healthz answer 503 `degraded` with the reason once queries fail, and /metrics count it', async () => {
      const dirs = copyDirs(base, 'nemlive-storehealth-');
      made.push(dirs);
      const child = startServer(dirs, { WORKERS: workers });
      try {
        const url = await child.listening();
        const before = await healthz(url);
        expect(before.status).toBe(200);
        expect(before.body.status).toBe('ok');
        expect(before.body.store).toBeUndefined(); // the contract's fields only while the store is fine
        expect(metric(await (await fetch(`${url}/metrics`)).text(), 'nemlive_store_degraded')).toBe(0);

        damage(dirs.dataDir);
        const client = await TestClient.open(`${url.replace('http', 'ws')}/ws`);
        const answers = [];
        for (const q of COLD) answers.push(await client.query(q.kind, q.params));
        await client.close();
        const failed = answers.filter((a) => a.t === 'error' && a.code === 'internal');
        expect(failed.length, JSON.stringify(answers.map((a) => a.code ?? a.t))).toBeGreaterThan(0);

        const after = await waitFor(
          () => healthz(url),
          (h) => h.status === 503,
        );
        expect(after.body.status).toBe('degraded');
        expect(after.body.store!.ok).toBe(false);
        expect(after.body.store!.reason).toMatch(/Corrupt database file/);
        expect(after.body.store!.failures).toBeGreaterThan(0);
        const text = await (await fetch(`${url}/metrics`)).text();
        expect(metric(text, 'nemlive_store_degraded')).toBe(1);
        expect(metric(text, 'nemlive_store_failures_total')).toBeGreaterThan(0);
      } finally {
        child.proc.kill('SIGKILL');
        await child.exit;
      }
    });
  });
}
