// Push deltas end to end on the real server (demo store, real pipeline): of two sockets on the same tab, the one that
// sent `delta: true` gets `{base, delta}` that rebuilds exactly the full push the other gets, in a fraction of the
// bytes; a socket whose previous push was not written gets the whole answer next, then deltas again; a bad `delta`
// flag is refused; the SDK hands its consumer the same whole answer a full push carries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NemClient, type Update } from '../../client/sdk/client.ts';
import { applyDelta, type Delta } from '../../shared/delta.ts';
import { toNemIso } from '../../shared/nem.ts';
import { decode, encode } from '../../shared/protocol.ts';
import { metric, TestClient, type Frame } from '../server/harness.ts';
import { startLiveServer, storeDir, type LiveServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

const TAB = { kind: 'tab.nem', params: { region: 'SA1' } };

let store: StoreDir;
let server: LiveServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  store = await storeDir(1);
  server = await startLiveServer(store, { LIVE: 'demo', REPLAY_SECONDS: '3600' });
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await server?.close();
  store?.remove();
});

async function subscriber(delta: boolean | undefined): Promise<{ c: TestClient; first: Frame }> {
  const c = await TestClient.open(server.wsUrl);
  clients.push(c);
  c.send({ t: 'sub', id: 'tab', ...TAB, ...(delta === undefined ? {} : { delta }) });
  const first = await c.next((f) => f.id === 'tab' && (f.t === 'result' || f.t === 'error'));
  expect(first.t).toBe('result');
  return { c, first };
}

const nextPush = (c: TestClient) => c.next((f) => f.t === 'push' && f.id === 'tab');

describe('push deltas', () => {
  it('sends a delta to the socket that asked, which rebuilds the full push the other socket got', async () => {
    const a = await subscriber(true);
    const b = await subscriber(undefined);
    expect(a.first.data).toEqual(b.first.data);

    const scrape = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return {
        delta: metric(text, 'nemlive_push_writes_total', 'form="delta"') || 0,
        full: metric(text, 'nemlive_push_writes_total', 'form="full"') || 0,
        bytes: metric(text, 'nemlive_push_bytes_total'),
      };
    };
    const before = await scrape();
    const ts = (await server.demo().step())!;
    const [pa, pb] = await Promise.all([nextPush(a.c), nextPush(b.c)]);
    // /metrics counts the two forms and their bytes (an operator's view of what deltas save).
    const after = await scrape();
    expect(after.delta - before.delta).toBe(1);
    expect(after.full - before.full).toBe(1);
    expect(after.bytes - before.bytes).toBeGreaterThan(encode(pb).length);
    expect(pb).toMatchObject({ t: 'push', kind: 'tab.nem', meta: { watermark: toNemIso(ts) } });
    expect(pb).not.toHaveProperty('delta');
    expect(Object.keys(pa).sort()).toEqual(['base', 'delta', 'id', 'kind', 'meta', 't']);
    expect(pa.meta).toEqual(pb.meta);
    expect(pa.base).toBe(a.first.meta.watermark);
    expect(applyDelta(a.first.data, pa.delta as Delta)).toEqual(pb.data);
    const [deltaBytes, fullBytes] = [encode(pa).length, encode(pb).length];
    expect(deltaBytes * 5).toBeLessThan(fullBytes);

    // And the next interval's delta applies to what the first one built.
    await server.demo().step();
    const [pa2, pb2] = await Promise.all([nextPush(a.c), nextPush(b.c)]);
    expect(pa2.base).toBe(pa.meta.watermark);
    expect(applyDelta(pb.data, pa2.delta as Delta)).toEqual(pb2.data);
  });

  it('sends the whole answer to a socket whose previous push was not written, then deltas again', async () => {
    const c = await subscriber(true);
    const session = server.sessions.get(c.c.hello.session)!;
    // Behind: the fan-out skips it, so the push below is not written into it.
    session.stale = true;
    await server.demo().step();
    session.stale = false; // back, without the catch-up a drain would send
    const held = c.first.data;

    const ts = (await server.demo().step())!;
    const full = await nextPush(c.c);
    expect(full).not.toHaveProperty('delta');
    expect(full.meta.watermark).toBe(toNemIso(ts));
    expect(full.data).not.toEqual(held);

    await server.demo().step();
    const delta = await nextPush(c.c);
    expect(delta.base).toBe(full.meta.watermark);
    expect(applyDelta(full.data, delta.delta as Delta)).toHaveProperty('panels');
    expect(c.c.frames.filter((f) => f.t === 'push')).toEqual([]);
  });

  it('the SDK applies the real deltas: its consumer gets the same data as a socket sent whole answers', async () => {
    const seen: Frame[] = [];
    // The SDK's socket, with an ear on what actually arrives.
    class Tapped extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on('message', (raw: Buffer) => seen.push(decode(raw) as Frame));
      }
    }
    const client = new NemClient({ url: server.wsUrl, WebSocket: Tapped as never });
    try {
      const updates: Update<'tab.nem'>[] = [];
      client.sub('tab.nem', { region: 'SA1' }, { onUpdate: (u) => updates.push(u) });
      const b = await subscriber(false);
      await until(() => updates.length === 1, "the SDK's first result");
      for (let i = 0; i < 2; i++) {
        await server.demo().step();
        const full = await nextPush(b.c);
        await until(() => updates.length === i + 2, `the SDK's push ${i + 1}`);
        expect(updates[i + 1]).toEqual({ kind: 'push', data: full.data, meta: full.meta });
      }
      expect(seen.filter((f) => f.t === 'push').map((f) => Object.hasOwn(f, 'delta'))).toEqual([true, true]);
    } finally {
      client.close();
    }
  });

  it('refuses a delta flag that is not a boolean, and the socket stays usable', async () => {
    const c = await TestClient.open(server.wsUrl);
    clients.push(c);
    c.send({ t: 'sub', id: 1, kind: 'prices.current', params: {}, delta: 'yes' });
    expect(await c.next((f) => f.id === 1)).toMatchObject({
      t: 'error',
      code: 'bad_request',
      message: expect.stringMatching(/delta must be true or false/),
    });
    expect((await c.request('sub', 'prices.current', {})).t).toBe('result');
  });
});
