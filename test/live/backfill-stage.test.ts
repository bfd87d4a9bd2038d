// A backfill through a running server is staged as a new interval is: the hot answers its revision retires (here a
// price summary over all data, which a month of older prices changes) are computed at the generation the market is
// about to name before it names it, so analysts' next asks are cache hits instead of all arriving cold at once. Real
// server over a real demo store, the real admin ingest, a real AEMO month (April 2026's DISPATCHPRICE sample).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverOf } from '../../server/backfill/into.ts';
import { validateParams } from '../../shared/kinds.ts';
import { TestClient } from '../server/harness.ts';
import { FIXTURES, startLiveServer, storeDir, type LiveServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

const FILE = 'PUBLIC_ARCHIVE#DISPATCHPRICE#FILE01#202604010000.zip';
const ALL = { range: 'all' };
/** The params as the server keys them (defaults filled in). */
const checked = validateParams('prices.stats', ALL);
if (!checked.ok) throw new Error(checked.message);

let store: StoreDir;
let server: LiveServer;
beforeAll(async () => {
  store = await storeDir(1);
  server = await startLiveServer(store, { LIVE: 'off' });
});
afterAll(async () => {
  await server?.close();
  store?.remove();
});

describe('a backfill through the server', () => {
  it('has the hot answers it retires computed before the market moves to it', async () => {
    const client = await TestClient.open(server.wsUrl);
    try {
      const before = await client.query('prices.stats', ALL);
      expect(before).toMatchObject({ t: 'result' });
      const generation = server.market.generation;
      // What the cache holds for the question at the moment the market names the backfill's generation.
      const atAdvance: boolean[] = [];
      const off = server.market.onAdvance((e) => {
        if (e.revised) atAdvance.push(server.cache!.has(server.answerPath!.keyFor('prices.stats', checked.params)));
      });
      const admin = serverOf(server.config.dataDir)!;
      const res = await fetch(`${admin.url}/admin/ingest?name=${encodeURIComponent(FILE)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.token}` },
        body: readFileSync(join(FIXTURES, encodeURIComponent(FILE))),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const report = (await res.json()) as { window: { maxTs: number } };
      // Older than the store's data: a revision of the past, not a new interval.
      expect(report.window.maxTs).toBeLessThan(server.market.watermark);
      await until(() => server.market.generation !== generation, 'the backfill told to the market', 60_000);
      off();
      expect(atAdvance).toEqual([true]);
      // And it is the answer over the new data: April's intervals are counted.
      const after = await client.query('prices.stats', ALL);
      type Stats = { data: { rows: { region: string; count: number }[] } };
      const count = (f: unknown, region: string) => (f as Stats).data.rows.find((r) => r.region === region)!.count;
      expect(count(after, 'NSW1')).toBeGreaterThan(count(before, 'NSW1'));
    } finally {
      await client.close();
    }
  }, 120_000);
});
