// The questions clients asked, kept across a restart (hot-list.ts): a real server over a real demo store is asked a
// station's output (no fixed warmup list holds one), shut down, its LMDB cache deleted (as if the store had moved on
// and the old answers' keys were gone), and started again on the same CACHE_DIR: its boot warmup computes the question.
// And the file is read as untrusted: missing, corrupt, oversized or holding questions no longer valid.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateParams } from '../../shared/kinds.ts';
import { TestClient } from '../../test/server/harness.ts';
import { startLiveServer, storeDir, type StoreDir } from '../../test/live/harness.ts';
import { HOT_FILE, loadHotList, saveHotList } from './hot-list.ts';
import { waitFor } from '../../test/util/wait.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nem-hot-list-'));
let store: StoreDir | undefined;
afterAll(() => {
  store?.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the asked questions across a restart', () => {
  it('are computed by the next boot warmup', async () => {
    store = await storeDir(1);
    const first = await startLiveServer(store, { WARM: '1' });
    await first.warmed;
    const conn = await first.instance.connect();
    const duids = (await conn.runAndReadAll('SELECT DISTINCT duid FROM scada ORDER BY duid')).getRowsJS().map(String);
    conn.closeSync();
    const key = (server: typeof first, duid: string) => {
      const v = validateParams('station.output', { duid });
      if (!v.ok) throw new Error(v.message);
      return server.answerPath!.keyFor('station.output', v.params);
    };
    // A unit no tab shows by default, so the fixed warmup list does not hold its output.
    const duid = duids.find((d) => !first.cache!.has(key(first, d)))!;
    expect(duid).toBeDefined();
    const client = await TestClient.open(first.wsUrl);
    expect(await client.query('station.output', { duid })).toMatchObject({ t: 'result' });
    await client.close();
    await first.close();
    for (const f of readdirSync(store.cacheDir)) if (f !== HOT_FILE) rmSync(join(store.cacheDir, f), { force: true });

    const second = await startLiveServer(store, { WARM: '1' });
    try {
      expect(second.cache!.has(key(second, duid))).toBe(false);
      await second.warmed;
      expect(second.cache!.has(key(second, duid))).toBe(true);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('are written while the server runs, not only at shutdown (a killed process restarts as warm)', async () => {
    store ??= await storeDir(1);
    rmSync(join(store.cacheDir, HOT_FILE), { force: true });
    const server = await startLiveServer(store, { WARM: '0', HOT_SAVE_S: '1' });
    try {
      const station = validateParams('station.output', { duid: 'ERB01', range: '24h' });
      if (!station.ok) throw new Error(station.message);
      const client = await TestClient.open(server.wsUrl);
      expect(await client.query('station.output', { duid: 'ERB01', range: '24h' })).toMatchObject({ t: 'result' });
      await client.close();
      const kept = await waitFor(
        () => loadHotList(store!.cacheDir),
        (list) => list.length > 0,
        10_000,
      );
      expect(kept).toContainEqual({ kind: 'station.output', params: station.params });
    } finally {
      await server.close();
    }
  }, 60_000);

  it('are read as untrusted: what is not a valid question is left out, a file not ours is ignored', () => {
    const dir = join(tmp, 'file');
    rmSync(dir, { recursive: true, force: true });
    expect(loadHotList(dir)).toEqual([]);
    const station = validateParams('station.output', { duid: 'ERB01' });
    if (!station.ok) throw new Error(station.message);
    saveHotList(tmp, [{ kind: 'station.output', params: station.params }]);
    expect(loadHotList(tmp)).toEqual([{ kind: 'station.output', params: station.params }]);
    const file = join(tmp, HOT_FILE);
    const write = (v: unknown) => writeFileSync(file, typeof v === 'string' ? v : JSON.stringify(v));
    write({
      v: 1,
      queries: [
        { kind: 'station.output', params: { duid: 'ERB01' } },
        { kind: 'station.output', params: { duid: 'ERB01' } }, // twice
        { kind: 'no.such.kind', params: {} },
        { kind: 'station.output', params: {} }, // its unit missing
        { kind: 'prices.history', params: { range: 'forever' } },
        { kind: 'constructor', params: {} },
        null,
        'prices.current',
      ],
    });
    expect(loadHotList(tmp)).toEqual([{ kind: 'station.output', params: station.params }]);
    for (const bad of ['{"v":1,"queries":', '[]', '{"v":2,"queries":[]}', 'null', ' '.repeat(2 << 20)]) {
      write(bad);
      expect(loadHotList(tmp), bad.slice(0, 20)).toEqual([]);
    }
  });
});
