// A real feed over an empty DATA_DIR: no demo is built, the market has no watermark (hello and /healthz say so), and
// the first file, however old, sets the watermark so relative ranges show it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthz, TestClient } from '../server/harness.ts';
import { FIXTURES, startLiveServer, storeDir, type LiveServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

const PRICE_ARCHIVE = 'PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip';
const MAY_1 = 1777557600; // 2026-05-01 00:00 NEM time: the April archive's last interval end, months before today
const APRIL_1 = 1774965600;

let store: StoreDir;
let inbox: string;
let server: LiveServer | undefined;
beforeAll(async () => {
  store = await storeDir(0);
  inbox = join(store.dir, 'inbox');
  mkdirSync(inbox);
});
afterAll(async () => {
  await server?.close();
  store?.remove();
});

describe('an empty store under a real feed', () => {
  it('has no watermark until the first file, which sets it however old it is', async () => {
    server = await startLiveServer(store, { LIVE: `watch:${inbox}` }, { live: { watch: { pollMs: 50 } } });
    expect(server.market.hasData).toBe(false);
    const empty = await healthz(server.url);
    expect(empty.watermark).toBeNull();
    // Each AEMO source's newest interval; none yet is not late.
    expect(empty).toMatchObject({ status: 'ok', sources: { prices: { asOf: null, lagS: null, late: false } } });
    const client = await TestClient.open(server.wsUrl);
    try {
      expect(client.hello.watermark).toBe('');
      const before = await client.query('prices.history', { regions: ['NSW1'], range: '24h' });
      expect(before.meta.watermark).toBe('');
      expect((before.data.series.NSW1 ?? []).filter((v: number | null) => v !== null)).toEqual([]);

      copyFileSync(join(FIXTURES, PRICE_ARCHIVE), join(inbox, PRICE_ARCHIVE));
      await until(() => server!.market.hasData, 'the file to set the watermark');
      expect({ watermark: server.market.watermark, firstTs: server.market.firstTs }).toEqual({
        watermark: MAY_1,
        firstTs: APRIL_1 + 300,
      });
      // The sources' marks are read just after the batch's advance.
      await until(async () => (await healthz(server!.url)).sources.prices.asOf !== null, 'the sources read');
      const h = await healthz(server.url);
      expect(h.watermark).toBe('2026-05-01T00:00:00+10:00');
      // Months old: the prices source is late, the server degraded (503); SCADA, never fed, is not counted late.
      expect(h.status).toBe('degraded');
      expect(h.sources.prices).toMatchObject({ asOf: '2026-05-01T00:00:00+10:00', late: true });
      expect(h.sources.prices.lagS).toBeGreaterThan(86400);
      expect(h.sources.scada).toEqual({ asOf: null, lagS: null, late: false });

      const after = await client.query('prices.history', { regions: ['NSW1'], range: '24h', resolution: '5m' });
      expect(after.meta.watermark).toBe('2026-05-01T00:00:00+10:00');
      const nsw = (after.data.series.NSW1 as (number | null)[]).filter((v) => v !== null);
      expect(nsw).toHaveLength(288); // the archive's last day, every interval
    } finally {
      await client.close();
    }
  });
});
