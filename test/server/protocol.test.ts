// The WebSocket protocol end to end (CONTRACT §3): hello, every kind answered through the socket exactly as the
// catalogue answers it, subscriptions with one publish per topic on new data, unsub, and the frame codec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_NAMES, TAB_KINDS, type Kind } from '../../shared/kinds.ts';
import { toNemIso } from '../../shared/nem.ts';
import { decode, encode, encodeFrameWithData, PROTOCOL_VERSION, splitFrame } from '../../shared/protocol.ts';
import { ask } from '../util/catalogue.ts';
import { addInterval, metric, startTestServer, TestClient, type TestServer } from './harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const PARAMS: Partial<Record<Kind, Record<string, unknown>>> = {
  'station.output': { duid: 'WINDA1' },
  'battery.soc': { duid: 'BATTA1' },
  'stations.search': { q: 'coal' },
};

describe('splitFrame', () => {
  const meta = { cache: 'lru', ms: 0.5, watermark: toNemIso(1775000000) };
  const data = { time: [1, 2, 3], series: { data: [1.5, null, -2] }, note: 'data' };

  it('returns the head decoded and the data as the bytes it was encoded to, for heads of up to 15 fields', () => {
    for (const n of [0, 3, 13]) {
      const head = {
        t: 'result',
        kind: 'data',
        ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
      };
      const parts = splitFrame(encodeFrameWithData(head, encode(data)));
      expect(parts.head).toEqual(head);
      expect(Buffer.from(parts.data!).equals(Buffer.from(encode(data)))).toBe(true);
    }
  });

  it('reads the head from the first bytes of a frame alone', () => {
    const big = { rows: Array.from({ length: 5000 }, (_, i) => i * 0.25) };
    const bytes = encodeFrameWithData({ t: 'push', id: 'tab-1', kind: 'tab.nem', meta }, encode(big));
    expect(splitFrame(bytes.subarray(0, 200)).head).toEqual({ t: 'push', id: 'tab-1', kind: 'tab.nem', meta });
  });

  it('decodes whole a frame whose last entry is not data, or with more fields than a head has', () => {
    const first = { t: 'result', data: [1, 2], meta };
    expect(splitFrame(encode(first))).toEqual({ head: first });
    const wide = { ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])), data: [3] };
    expect(splitFrame(encode(wide))).toEqual({ head: wide });
    const err = { t: 'error', id: 9, code: 'bad_params', message: 'data' };
    expect(splitFrame(encode(err))).toEqual({ head: err });
  });

  it('decodes whole a frame whose data is not last however big that data is (an alerts push: data, then meta)', () => {
    // The hub's layout (server/alerts/hub.ts frame): encode({t, id, kind, data, meta}), a replay up to 1,000 events.
    const events = Array.from({ length: 100 }, (_, i) => ({ seq: i, ts: 1775000000 + i * 300, region: 'NSW1' }));
    const frame = { t: 'push', id: 3, kind: 'alerts', data: { events, cursor: 99, complete: true }, meta };
    expect(splitFrame(encode(frame))).toEqual({ head: frame });
    const deep = { t: 'result', id: 4, kind: 'x', data: { a: { b: { c: { d: { e: [1] } } } } }, meta };
    expect(splitFrame(encode(deep))).toEqual({ head: deep });
  });

  it('never returns a head that holds data itself (a hostile frame naming data twice is decoded whole)', () => {
    const key = [...encode('data')];
    const twice = new Uint8Array([0x82, ...key, 0x01, ...key, 0x02]);
    const parts = splitFrame(twice);
    expect(parts).toEqual({ head: decode(twice) });
  });

  it('refuses a malformed head as decode does', () => {
    const bytes = encodeFrameWithData({ t: 'result', id: 1, meta }, encode(data));
    expect(() => splitFrame(bytes.subarray(0, 12))).toThrow(/ends early/);
  });
});

describe('encodeFrameWithData', () => {
  it('gives exactly the bytes of encoding the whole frame, and decode reads it', () => {
    const head = {
      t: 'result',
      id: 'a',
      kind: 'prices.current',
      meta: { cache: 'db', ms: 1.25, watermark: toNemIso(1775000000) },
    };
    const data = { time: [1, 2, 3], series: { x: [1.5, null, -2] }, unit: '$/MWh' };
    const bytes = encodeFrameWithData(head, encode(data));
    expect(Buffer.from(bytes).equals(Buffer.from(encode({ ...head, data })))).toBe(true);
    expect(decode(bytes)).toEqual({ ...head, data });
  });

  it('handles heads of 15 and more fields (map16 and beyond the fixmap range)', () => {
    for (const n of [0, 14, 15, 16, 300]) {
      const head = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
      const bytes = encodeFrameWithData(head, encode([1, 'two']));
      expect(decode(bytes)).toEqual({ ...head, data: [1, 'two'] });
    }
  });

  it('writes into a given buffer when the frame fits, and into a new one when it does not', () => {
    const head = {
      t: 'result',
      id: 7,
      kind: 'prices.current',
      meta: { cache: 'lru', ms: 0.1, watermark: toNemIso(1775000000) },
    };
    const data = encode({ rows: Array.from({ length: 50 }, (_, i) => i * 1.5) });
    const scratch = new Uint8Array(4096).fill(0xff);
    const inScratch = encodeFrameWithData(head, data, scratch);
    expect(inScratch.buffer).toBe(scratch.buffer);
    expect(Buffer.from(inScratch).equals(Buffer.from(encodeFrameWithData(head, data)))).toBe(true);
    const tooSmall = new Uint8Array(16);
    const own = encodeFrameWithData(head, data, tooSmall);
    expect(own.buffer).not.toBe(tooSmall.buffer);
    expect(decode(own)).toEqual({ ...head, data: decode(data) });
  });

  it('refuses a head that already has data', () => {
    expect(() => encodeFrameWithData({ data: 1 }, encode(2))).toThrow(/data/);
  });
});

describe('the socket', () => {
  it('says hello with the session, watermark, kinds and tabs', async () => {
    const c = await TestClient.open(server.wsUrl);
    expect(c.hello).toEqual({
      t: 'hello',
      v: PROTOCOL_VERSION,
      session: expect.any(String),
      feed: { source: 'off' }, // LIVE=off: the header shows the data as static, never stale
      watermark: server.market.iso,
      kinds: KIND_NAMES,
      tabs: TAB_KINDS,
    });
    expect(c.hello.watermark).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+10:00$/);
    const other = await TestClient.open(server.wsUrl);
    expect(other.hello.session).not.toBe(c.hello.session);
    await Promise.all([c.close(), other.close()]);
  });

  it('answers every kind with the same data as the catalogue called directly', async () => {
    const c = await TestClient.open(server.wsUrl);
    const conn = await server.instance.connect();
    try {
      const ctx = { conn, watermark: server.market.watermark, firstTs: server.market.firstTs };
      for (const kind of KIND_NAMES) {
        const raw = PARAMS[kind] ?? {};
        const direct = decode(encode(await ask(ctx, kind, raw)));
        const frame = await c.query(kind, raw);
        expect(frame, kind).toMatchObject({
          t: 'result',
          kind,
          meta: { cache: expect.stringMatching(/^(lru|lmdb|db)$/), watermark: server.market.iso },
        });
        expect(frame.data, kind).toEqual(direct);
        expect(frame.meta.ms).toBeGreaterThanOrEqual(0);
      }
      // Asked again, the same bytes come from the cache.
      const again = await c.query('generation.byFuel', {});
      expect(again.meta.cache).toBe('lru');
    } finally {
      conn.closeSync();
      await c.close();
    }
  });

  it('subscribes: a result now, a push per new interval (one publish per topic), nothing after unsub', async () => {
    const a = await TestClient.open(server.wsUrl);
    const b = await TestClient.open(server.wsUrl);
    const params = { regions: ['SA1'], range: '24h', resolution: '5m' };
    const first = await a.request('sub', 'prices.history', params, 'hist');
    const firstB = await b.request('sub', 'prices.history', params, 'hist');
    expect(first).toMatchObject({ t: 'result', id: 'hist', kind: 'prices.history' });
    expect(firstB.data).toEqual(first.data);
    const before = metric(await (await fetch(`${server.url}/metrics`)).text(), 'nemlive_pushes_total');

    // A new interval lands in the store; the feed then advances the market.
    const next = await addInterval(server, { SA1: 123.45, NSW1: 99 });
    await server.pushUpdate();

    const pushA = await a.next((f) => f.t === 'push' && f.id === 'hist');
    const pushB = await b.next((f) => f.t === 'push' && f.id === 'hist');
    expect(pushA.meta.watermark).toBe(toNemIso(next));
    expect(pushA.data.time.at(-1)).toBe(next);
    expect(pushA.data.series.SA1.at(-1)).toBe(123.45);
    expect(pushB.data).toEqual(pushA.data);
    const after = metric(await (await fetch(`${server.url}/metrics`)).text(), 'nemlive_pushes_total');
    expect(after - before).toBe(1); // both sockets used id "hist": one buffer, one publish

    a.send({ t: 'unsub', id: 'hist' });
    // The unsub is processed before this query (frames of one socket are handled in order).
    await a.query('prices.current');
    server.market.advance(next + 300);
    await server.pushUpdate();
    await b.next((f) => f.t === 'push' && f.id === 'hist');
    await a.query('prices.current');
    expect(a.frames.filter((f) => f.t === 'push')).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('does not push when new data leaves the answer unchanged', async () => {
    const c = await TestClient.open(server.wsUrl);
    // A fixed window in the past cannot change when a new interval arrives.
    const from = server.market.firstTs;
    await c.request('sub', 'prices.stats', { regions: ['NSW1'], from, to: from + 3600 }, 7);
    server.market.advance(server.market.watermark + 300);
    await server.pushUpdate();
    await c.query('prices.current');
    expect(c.frames.filter((f) => f.t === 'push')).toEqual([]);
    await c.close();
  });

  it('replaces a subscription that reuses its id, and remembers a tab as the view', async () => {
    const c = await TestClient.open(server.wsUrl);
    await c.request('sub', 'tab.prices', { regions: ['SA1'] }, 'tab');
    const r = await c.request('sub', 'tab.nem', { region: 'NSW1' }, 'tab');
    expect(r.kind).toBe('tab.nem');
    const session = server.sessions.get(c.hello.session)!;
    expect([...server.pusher.subscriptionsOf(session).values()].map((s) => s.kind)).toEqual(['tab.nem']);
    expect(session.view).toEqual({ kind: 'tab.nem', params: { region: 'NSW1' } });
    await c.close();
  });
});
