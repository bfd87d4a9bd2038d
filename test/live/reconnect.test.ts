// Reconnects through the SDK against the real server: a killed client socket and a restarted server process both
// end with the subscription resumed, the current answer delivered at once when it moved on, and nothing twice.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NemClient, type StateChange, type Update } from '../../client/sdk/client.ts';
import { dispatchIs } from '../../bench/nemweb/files.ts';
import { openStore, readWatermark } from '../../server/store/db.ts';
import { ingestBuffer } from '../../server/store/ingest.ts';
import { toNemIso } from '../../shared/nem.ts';
import { spawnLiveServer, storeDir, type ChildServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

/** `ws`, remembering each socket the SDK opens so the test can kill it like a dropped network would. */
const opened: WebSocket[] = [];
class TrackedSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    opened.push(this);
  }
}

let store: StoreDir;
let server: ChildServer;
let inbox: string;
let w0: number;
beforeAll(async () => {
  store = await storeDir(1);
  inbox = join(store.dir, 'inbox');
  mkdirSync(inbox);
  const { instance } = await openStore({ dataDir: store.dataDir, threads: 1 });
  const conn = await instance.connect();
  w0 = (await readWatermark(conn))!.watermark;
  conn.closeSync();
  instance.closeSync();
  // New intervals arrive as NEMWEB files in a watched folder, at moments the test chooses.
  server = await spawnLiveServer(store, { LIVE: `watch:${inbox}` });
});
afterAll(async () => {
  await server?.stop();
  store?.remove();
});

describe('reconnect', () => {
  it('resubscribes after the socket dies and after a server restart, with the current answer at once and no duplicate', async () => {
    // The url is asked again at each reconnect, so it follows the restarted server to its new port.
    const client = new NemClient({
      url: () => server.wsUrl,
      WebSocket: TrackedSocket,
      backoff: { initialMs: 50, maxMs: 400 },
    });
    const states: StateChange[] = [];
    client.onState((s) => states.push(s));
    const updates: Update<'prices.current'>[] = [];
    client.sub('prices.current', {}, { onUpdate: (u) => updates.push(u) });
    try {
      await until(() => updates.length === 1, 'first result');
      expect(updates[0].meta.watermark).toBe(toNemIso(w0));
      const session0 = client.hello!.session;

      // 1. The socket dies; nothing changed meanwhile: the resubscription's answer is the one already held.
      opened.at(-1)!.terminate();
      await until(() => client.state === 'open' && client.hello!.session !== session0, 'reconnected');
      const next = dispatchIs(w0 + 300, 123);
      writeFileSync(join(inbox, next.name), next.bytes);
      await until(() => updates.length === 2, 'push after reconnect');
      expect(updates[1]).toMatchObject({ kind: 'push', meta: { watermark: toNemIso(w0 + 300) } });
      expect(updates[1].data.rows.find((r) => r.region === 'NSW1')?.rrp).toBe(123);

      // 2. The server process restarts, and data moved on while it was down. (A new port: rebinding the old one
      //    right away fails while the old server's sockets sit in TIME-WAIT.)
      expect(await server.stop()).toBe(0);
      await until(() => client.state === 'reconnecting', 'reconnecting');
      const { instance } = await openStore({ dataDir: store.dataDir, threads: 1 });
      const conn = await instance.connect();
      const later = dispatchIs(w0 + 600, 456);
      await ingestBuffer(conn, later.name, later.bytes);
      conn.closeSync();
      instance.closeSync();
      server = await spawnLiveServer(store, { LIVE: `watch:${inbox}` });
      await until(() => updates.length === 3, 'current answer after restart');
      expect(updates[2]).toMatchObject({ kind: 'result', meta: { watermark: toNemIso(w0 + 600) } });
      expect(updates[2].data.rows.find((r) => r.region === 'NSW1')?.rrp).toBe(456);

      // Nothing twice: each update carries a later watermark than the one before.
      expect(updates.map((u) => u.meta.watermark)).toEqual([w0, w0 + 300, w0 + 600].map(toNemIso));
      expect(states.filter((s) => s.state === 'open')).toHaveLength(3);
    } finally {
      client.close();
    }
  });
});
