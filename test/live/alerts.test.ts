// Alerts end to end, against the real server process over a demo store fed NEMWEB files from a watched folder: each
// event is pushed once as its interval (or notice) commits, a price hovering at a level fires once, a subscription
// given `since` gets exactly what it missed, a real restart on the same store re-fires nothing and fires nothing for
// data stored while it was down, the SDK sees every event once across the restart, and `npm run sub` prints one
// NDJSON line per event. Bad rules and cursors are refused.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NemClient } from '../../client/sdk/client.ts';
import { dispatchIs } from '../../bench/nemweb/files.ts';
import { openStore, readWatermark } from '../../server/store/db.ts';
import { ingestBuffer } from '../../server/store/ingest.ts';
import type { AlertEvent } from '../../shared/kinds/alerts.ts';
import { REGIONS } from '../../shared/nem.ts';
import { TestClient, type Frame } from '../server/harness.ts';
import { until } from '../util/wait.ts';
import { spawnLiveServer, storeDir, type ChildServer, type StoreDir } from './harness.ts';

const RULES = ['NEM:price.above:300', 'NEM:notice.any'];
const NOTICE = join(import.meta.dirname, '../fixtures/aemo-notices/NEMITWEB1_MKTNOTICE_20260501.R130101');

let store: StoreDir;
let server: ChildServer;
let inbox: string;
let w0: number;

/** An interval's DISPATCHIS file (every region's price `base` + its index) dropped in the watched folder. */
const drop = (ts: number, base: number) => {
  const f = dispatchIs(ts, base);
  writeFileSync(join(inbox, f.name), f.bytes);
};

/** The fixture notice with another id and a creation time (epoch s), dropped in the watched folder. */
function dropNotice(id: number, created: number): void {
  const nem = new Date((created + 10 * 3600) * 1000).toISOString();
  const [y, m, d] = nem.slice(0, 10).split('-');
  const text = readFileSync(NOTICE, 'latin1')
    .replace(/Creation Date :\s+\S+\s+\S+/, `Creation Date :     ${d}/${m}/${y}     ${nem.slice(11, 19)}`)
    .replace(/Notice ID(\s+):(\s+)\d+/, `Notice ID$1:$2${id}`);
  writeFileSync(join(inbox, `NEMITWEB1_MKTNOTICE_${y}${m}${d}.R${id}`), text);
}

/** A frame's events, in region order (one interval's are stored in the store's order). */
const events = (f: Frame): AlertEvent[] =>
  [...(f.data.events as AlertEvent[])].sort(
    (x, y) => x.time - y.time || REGIONS.indexOf(x.region as never) - REGIONS.indexOf(y.region as never),
  );
const isPush = (id: string) => (f: Frame) => f.t === 'push' && f.id === id;

beforeAll(async () => {
  store = await storeDir(2);
  inbox = join(store.dir, 'inbox');
  mkdirSync(inbox);
  const { instance } = await openStore({ dataDir: store.dataDir, threads: 1 });
  const conn = await instance.connect();
  w0 = (await readWatermark(conn))!.watermark;
  conn.closeSync();
  instance.closeSync();
  server = await spawnLiveServer(store, { LIVE: `watch:${inbox}` });
});
afterAll(async () => {
  await server?.stop();
  store?.remove();
});

describe('alerts', () => {
  it('refuses bad rules and a bad since, and the socket stays usable', async () => {
    const c = await TestClient.open(server.wsUrl);
    try {
      const bad = await c.request('sub', 'alerts', { rules: ['SA1:price.above:123'] });
      expect(bad).toMatchObject({ t: 'error', code: 'bad_params' });
      expect(bad.message).toMatch(/^alerts: rules: price.above needs a threshold, one of 300 1000/);
      const many = await c.request('sub', 'alerts', { rules: Array.from({ length: 17 }, () => 'SA1:price.negative') });
      expect(many).toMatchObject({ t: 'error', code: 'bad_params', message: 'alerts: rules: holds at most 16 rules' });
      c.send({ t: 'sub', id: 'x', kind: 'alerts', params: {}, since: '2026-11-01T00:00:00+10:00' });
      const since = await c.next((f) => f.id === 'x');
      expect(since).toMatchObject({ t: 'error', code: 'bad_request' });
      expect(since.message).toMatch(/since must be the cursor/);
      c.send({ t: 'sub', id: 'y', kind: 'alerts', params: {}, since: '12345678901234567' }); // past 2^53
      expect(await c.next((f) => f.id === 'y')).toMatchObject({ t: 'error', code: 'bad_request' });
      // A cursor of the older per-store numbering: answered as without one, saying events may be missing.
      c.send({ t: 'sub', id: 'z', kind: 'alerts', params: {}, since: '42' });
      expect((await c.next((f) => f.id === 'z')).data).toEqual({ events: [], cursor: 0, complete: false });
      expect((await c.request('query', 'alerts.history', { limit: 5000 })).code).toBe('bad_params');
      expect((await c.request('sub', 'alerts', { rules: RULES })).t).toBe('result');
    } finally {
      await c.close();
    }
  });

  it('pushes each event once, replays what a subscription missed, and re-fires nothing across a real restart', async () => {
    const sdkEvents: AlertEvent[] = [];
    const sdk = new NemClient({ url: () => server.wsUrl, WebSocket, backoff: { initialMs: 50, maxMs: 400 } });
    sdk.sub('alerts', { rules: RULES } as never, { onUpdate: (u) => sdkEvents.push(...u.data.events) });
    const a = await TestClient.open(server.wsUrl);
    try {
      // Nothing fires for data older than the watermark at boot.
      const first = await a.request('sub', 'alerts', { rules: RULES }, 'a');
      expect(first.data).toEqual({ events: [], cursor: 0, complete: true });
      // A bad since under the id of another subscription is refused and leaves that one in place, as bad params do.
      expect((await a.request('sub', 'prices.current', {}, 'pc')).t).toBe('result');
      a.send({ t: 'sub', id: 'pc', kind: 'alerts', params: {}, since: '-1' });
      expect(await a.next((f) => f.id === 'pc')).toMatchObject({ t: 'error', code: 'bad_request' });

      // $100 everywhere (re-armed), then $400..404: one price.above $300 event per region, in one push.
      drop(w0 + 300, 100);
      drop(w0 + 600, 400);
      const p1 = await a.next(isPush('a'));
      expect(events(p1).map((e) => [e.type, e.region, e.level, e.value, e.time])).toEqual(
        REGIONS.map((r, i) => ['price.above', r, 300, 400 + i, w0 + 600]),
      );
      const cursor1 = p1.data.cursor as number;
      expect((await a.next(isPush('pc'))).kind).toBe('prices.current');

      // Hovering at $410: nothing. A notice created after the watermark: one event, the next push.
      drop(w0 + 900, 410);
      await until(async () => (await a.query('prices.current')).data.time === w0 + 900, 'the hovering interval');
      dropNotice(990001, w0 + 960);
      const p2 = await a.next(isPush('a'));
      expect(events(p2).map((e) => [e.type, e.key, e.region, e.notice?.lor])).toEqual([
        ['notice', 'notice:990001', 'SA1', 2],
      ]);

      // A subscription that last saw cursor1 gets exactly the notice, and one from before everything gets all six.
      const b = await TestClient.open(server.wsUrl);
      b.send({ t: 'sub', id: 'b', kind: 'alerts', params: { rules: RULES }, since: String(cursor1) });
      const replay = await b.next((f) => f.id === 'b');
      expect(events(replay).map((e) => e.key)).toEqual(['notice:990001']);
      expect(replay.data).toMatchObject({ complete: true, cursor: p2.data.cursor });
      b.send({ t: 'sub', id: 'c', kind: 'alerts', params: { rules: ['SA1:notice.lor:2'] }, since: '0' });
      expect(events(await b.next((f) => f.id === 'c')).map((e) => e.key)).toEqual(['notice:990001']);
      await b.close();
      await until(() => sdkEvents.length === 6, 'the SDK to hear six events');
      const cursor2 = p2.data.cursor as number;
      await a.close();

      // A real restart. Meanwhile an offline ingest stores $100 then $500: older than the next boot's watermark.
      expect(await server.stop()).toBe(0);
      const { instance } = await openStore({ dataDir: store.dataDir, threads: 1 });
      const conn = await instance.connect();
      for (const [ts, base] of [
        [w0 + 1200, 100],
        [w0 + 1500, 500],
      ]) {
        const f = dispatchIs(ts, base);
        await ingestBuffer(conn, f.name, f.bytes);
      }
      conn.closeSync();
      instance.closeSync();
      server = await spawnLiveServer(store, { LIVE: `watch:${inbox}` });

      const c = await TestClient.open(server.wsUrl);
      c.send({ t: 'sub', id: 'a', kind: 'alerts', params: { rules: RULES }, since: String(cursor2) });
      const after = await c.next((f) => f.id === 'a');
      expect(after.data).toEqual({ events: [], cursor: cursor2, complete: true }); // nothing twice, nothing new

      // `npm run sub` from now on: one NDJSON line per event.
      const cli = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'client/sdk/sub-cli.ts',
          'alerts',
          '--param',
          `rules=${RULES.join(',')}`,
          '--url',
          server.wsUrl,
          '--count',
          '5',
        ],
        { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
      await until(() => /connected to/.test(err), 'the CLI to connect', 30_000);

      drop(w0 + 1800, 100);
      drop(w0 + 2100, 600);
      const p3 = await c.next(isPush('a'));
      expect(events(p3).map((e) => [e.region, e.level, e.value, e.time])).toEqual(
        REGIONS.map((r, i) => [r, 300, 600 + i, w0 + 2100]),
      );
      expect(events(p3)[0].seq).toBeGreaterThan(cursor2);

      expect(await exited).toBe(0);
      const lines = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as AlertEvent);
      expect(lines.map((e) => [e.type, e.region, e.value])).toEqual(REGIONS.map((r, i) => ['price.above', r, 600 + i]));

      // History: every event once.
      const h = await c.query('alerts.history', { types: ['price.above', 'notice'] });
      const keys = (h.data.events as AlertEvent[]).map((e) => e.key);
      expect(h.data.total).toBe(11);
      expect(new Set(keys).size).toBe(11);
      expect(keys.filter((k) => k.includes(`:${w0 + 1500}`))).toEqual([]); // stored while down: never fired

      // The SDK, reconnected across the restart, heard each of the eleven exactly once.
      await until(() => sdkEvents.length >= 11, 'the SDK to hear eleven events');
      expect(sdkEvents.map((e) => e.key).sort()).toEqual([...keys].sort());
      await c.close();
    } finally {
      sdk.close();
    }
  });
});
