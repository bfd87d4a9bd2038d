// LIVE=watch:/path end to end: a real AEMO file copied into the watched folder is ingested once and pushed to a
// subscriber whose answer it changes; a restarted server does not ingest it again; a bad file is skipped and the
// feed goes on.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NemClient, type Update } from '../../client/sdk/client.ts';
import { badDispatchIs, dispatchIs } from '../../bench/nemweb/files.ts';
import { FIXTURES, startLiveServer, storeDir, type LiveServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

const PRICE_ARCHIVE = 'PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip';
const APRIL_1 = 1774965600; // 2026-04-01 00:00 NEM time
const fast = { live: { watch: { pollMs: 50 } } };

let store: StoreDir;
let inbox: string;
let server: LiveServer | undefined;
beforeAll(async () => {
  store = await storeDir(1); // a one-day demo ending 2026-10-31: nothing in April yet
  inbox = join(store.dir, 'inbox');
  mkdirSync(inbox);
});
afterAll(async () => {
  await server?.close();
  store?.remove();
});

const ingested = (s: LiveServer) => s.lines.filter((l) => l.msg === 'live: ingested').map((l) => l.file);

describe('watched folder', () => {
  it('ingests a dropped AEMO file once, pushes the changed answer, and skips it after a restart', async () => {
    server = await startLiveServer(store, { LIVE: `watch:${inbox}` }, fast);
    const client = new NemClient({ url: server.wsUrl, WebSocket });
    try {
      const updates: Update<'prices.history'>[] = [];
      // A fixed April window: the file revises the past (the watermark stays), so this answer must change.
      client.sub(
        'prices.history',
        { regions: ['NSW1', 'SA1'], from: APRIL_1, to: APRIL_1 + 86400, resolution: '5m' },
        { onUpdate: (u) => updates.push(u) },
      );
      await until(() => updates.length === 1, 'first result');
      expect((updates[0].data.series.NSW1 ?? []).filter((v) => v !== null)).toEqual([]);

      copyFileSync(join(FIXTURES, PRICE_ARCHIVE), join(inbox, PRICE_ARCHIVE));
      await until(() => updates.length === 2, 'push after the file landed');
      const push = updates[1];
      expect(push.kind).toBe('push');
      expect(push.data.time[0]).toBe(APRIL_1 + 300);
      expect(push.data.series.NSW1[0]).toBeCloseTo(65.01, 2); // the file's first NSW1 row (Source: AEMO)
      expect(push.data.series.SA1[0]).toBeCloseTo(-3.33, 2);
      expect(push.data.series.NSW1.filter((v) => v !== null)).toHaveLength(288);
      expect(ingested(server)).toEqual([PRICE_ARCHIVE]);
    } finally {
      client.close();
    }
    await server.close();

    // Restart over the same store and folder: the file is still there but is not taken again; a new one is.
    server = await startLiveServer(store, { LIVE: `watch:${inbox}` }, fast);
    const next = dispatchIs(server.market.watermark + 300);
    writeFileSync(join(inbox, next.name), next.bytes);
    await until(() => ingested(server!).length > 0, 'the new file');
    expect(ingested(server)).toEqual([next.name]);
    const rows = await server.instance.connect().then(async (c) => {
      const n = (
        await c.runAndReadAll("SELECT count(*)::INTEGER AS n FROM live_files WHERE status = 'ok'")
      ).getRowObjectsJS()[0].n;
      c.closeSync();
      return n;
    });
    expect(rows).toBe(2);
  });

  it('logs and skips a bad file and keeps ingesting the next ones', async () => {
    await server?.close();
    server = await startLiveServer(store, { LIVE: `watch:${inbox}` }, fast);
    const w = server.market.watermark;
    const bad = badDispatchIs(w + 300);
    writeFileSync(join(inbox, bad.name), bad.bytes);
    await until(() => server!.lines.some((l) => l.msg === 'live: bad file skipped'), 'the bad file to be skipped');
    const good = dispatchIs(w + 300, 77);
    writeFileSync(join(inbox, good.name), good.bytes);
    await until(() => server!.market.watermark === w + 300, 'the good file to advance the watermark');
    expect(server.lines.find((l) => l.msg === 'live: bad file skipped')).toMatchObject({ file: bad.name, level: 40 });
    expect(ingested(server)).toEqual([good.name]);
  });
});
