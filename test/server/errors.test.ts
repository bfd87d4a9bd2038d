// Every error code of CONTRACT §3 is produced by real frames, each with a clear message, and the socket stays
// usable afterwards, except after an oversize frame, which closes that socket only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, MAX_ID_LENGTH } from '../../shared/protocol.ts';
import { captureLog } from '../util/capture-log.ts';
import { healthz, metric, startTestServer, TestClient, type Frame, type TestServer } from './harness.ts';
import { waitFor } from '../util/wait.ts';

let server: TestServer;
let c: TestClient;
beforeAll(async () => {
  server = await startTestServer();
  c = await TestClient.open(server.wsUrl);
});
afterAll(async () => {
  await c?.close();
  await server?.stop();
});

/** Sends raw bytes (or a value), expects an error frame, then proves the socket still answers. */
async function expectError(
  frame: unknown,
  code: string,
  message: RegExp,
  opts: { binary?: boolean; id?: unknown } = {},
): Promise<Frame> {
  c.ws.send(frame instanceof Uint8Array || typeof frame === 'string' ? frame : encode(frame), {
    binary: opts.binary ?? typeof frame !== 'string',
  });
  const err = await c.next((f) => f.t === 'error');
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  if ('id' in opts) expect(err.id).toEqual(opts.id);
  const ok = await c.query('prices.current');
  expect(ok.t).toBe('result');
  return err;
}

function nested(levels: number): unknown {
  let v: unknown = 'NSW1';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('error frames', () => {
  it('bad_frame: bytes that are not msgpack, truncated, reserved, trailing, or a text frame', async () => {
    await expectError(new Uint8Array([0x82, 0xa1]), 'bad_frame', /msgpack/);
    await expectError(new Uint8Array([0xc1]), 'bad_frame', /msgpack/);
    await expectError(new Uint8Array([0x80, 0x01]), 'bad_frame', /msgpack/);
    await expectError(new Uint8Array([]), 'bad_frame', /msgpack/);
    await expectError(new Uint8Array([0xd4, 0x05, 0x01]), 'bad_frame', /msgpack/);
    await expectError('{"t":"query"}', 'bad_frame', /binary/, { binary: false });
  });

  it('bad_request: non-maps, missing or wrong-typed fields, huge ids, deep nesting', async () => {
    await expectError([1, 2], 'bad_request', /map/);
    await expectError(encode('query'), 'bad_request', /map/);
    await expectError(42, 'bad_request', /map/);
    await expectError(null, 'bad_request', /map/);
    await expectError({ id: 1, kind: 'prices.current' }, 'bad_request', /frame type/, { id: 1 });
    await expectError({ t: 'fetch', id: 1, kind: 'prices.current' }, 'bad_request', /frame type "fetch"/, { id: 1 });
    await expectError({ t: 'query', kind: 'prices.current' }, 'bad_request', /needs an id/);
    await expectError({ t: 'query', id: { a: 1 }, kind: 'prices.current' }, 'bad_request', /id must be/);
    await expectError({ t: 'query', id: 1.5, kind: 'prices.current' }, 'bad_request', /id must be/);
    await expectError({ t: 'query', id: 2 ** 60, kind: 'prices.current' }, 'bad_request', /id must be/);
    await expectError(
      { t: 'query', id: 'x'.repeat(MAX_ID_LENGTH + 1), kind: 'prices.current' },
      'bad_request',
      /id must be/,
    );
    const huge = await expectError(
      { t: 'query', id: 'y'.repeat(40_000), kind: 'prices.current' },
      'bad_request',
      /id must be/,
    );
    expect(huge).not.toHaveProperty('id'); // a bad id is never echoed
    await expectError({ t: 'query', id: 3 }, 'bad_request', /kind must be a string/, { id: 3 });
    await expectError({ t: 'query', id: 4, kind: 7 }, 'bad_request', /kind must be a string/, { id: 4 });
    await expectError({ t: 'unsub' }, 'bad_request', /unsub needs the id/);
    await expectError(
      { t: 'query', id: 5, kind: 'prices.history', params: { regions: nested(20) } },
      'bad_request',
      /nests/,
    );
    const deep = new Uint8Array(6001).fill(0x91);
    deep[6000] = 1;
    await expectError(deep, 'bad_request', /nests/);
  });

  it('unknown_kind', async () => {
    await expectError({ t: 'query', id: 'k', kind: 'prices.future' }, 'unknown_kind', /unknown kind "prices.future"/, {
      id: 'k',
    });
    await expectError({ t: 'sub', id: 'k2', kind: '__proto__' }, 'unknown_kind', /unknown kind/, { id: 'k2' });
  });

  it('bad_params: wrong values, unknown names, and what the catalogue refuses', async () => {
    await expectError(
      { t: 'query', id: 1, kind: 'prices.history', params: { regions: ['XX1'] } },
      'bad_params',
      /regions must only contain/,
      { id: 1 },
    );
    await expectError(
      { t: 'query', id: 2, kind: 'generation.byFuel', params: { regoin: 'SA1' } },
      'bad_params',
      /unknown parameter "regoin"/,
      { id: 2 },
    );
    await expectError(
      { t: 'query', id: 3, kind: 'generation.byFuel', params: 'SA1' },
      'bad_params',
      /params must be a map/,
      { id: 3 },
    );
    await expectError(
      { t: 'query', id: 4, kind: 'station.output', params: { duid: 'NOSUCH9' } },
      'bad_params',
      /no unit with DUID "NOSUCH9"/,
      { id: 4 },
    );
    await expectError(
      { t: 'sub', id: 5, kind: 'station.output', params: { duid: 'NOSUCH9' } },
      'bad_params',
      /NOSUCH9/,
      { id: 5 },
    );
    // A refused sub leaves no subscription behind.
    expect(server.sessions.get(c.hello.session)!.subs.size).toBe(0);
  });

  it('internal: a failing query is logged and reported without details, and the next one works', async () => {
    const conn = await server.instance.connect();
    await conn.run('ALTER TABLE interconnector RENAME TO interconnector_away');
    try {
      await expectError(
        { t: 'query', id: 'i', kind: 'interconnectors.flows', params: { region: 'SA1' } },
        'internal',
        /logged/,
        { id: 'i' },
      );
    } finally {
      await conn.run('ALTER TABLE interconnector_away RENAME TO interconnector');
      conn.closeSync();
    }
    const ok = await c.query('interconnectors.flows', { region: 'SA1' });
    expect(ok.t).toBe('result');
  });

  it('too_large: an oversize frame closes only its own socket', async () => {
    const limit = server.config.maxPayloadBytes;
    const victim = await TestClient.open(server.wsUrl);
    victim.send(new Uint8Array(limit + 1));
    const err = await victim.next((f) => f.t === 'error');
    expect(err).toMatchObject({ code: 'too_large', message: expect.stringMatching(/limit/) });
    expect((await victim.closed).code).toBe(1009);
    // Far over the limit, uWS cuts the socket without reading it.
    const brute = await TestClient.open(server.wsUrl);
    brute.send(new Uint8Array(limit * 3));
    expect((await brute.closed).code).toBe(1006);
    expect((await c.query('prices.current')).t).toBe('result');
    await waitFor(
      () => healthz(server.url),
      (h) => h.sessions === 1 && h.duckdbConnections === 1,
    );
  });

  it('counts error frames by code in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const code of ['bad_frame', 'bad_request', 'unknown_kind', 'bad_params', 'too_large', 'internal']) {
      expect(metric(text, 'nemlive_ws_errors_total', `code="${code}"`), code).toBeGreaterThan(0);
    }
  });
});

describe('limits', () => {
  it('rate_limited: a flooding socket is refused beyond its burst, recovers, and others are unaffected', async () => {
    const s = await startTestServer({ limits: { ratePerSecond: 2, rateBurst: 5 } });
    try {
      const flood = await TestClient.open(s.wsUrl);
      const calm = await TestClient.open(s.wsUrl);
      for (let i = 0; i < 30; i++) flood.send({ t: 'query', id: i, kind: 'prices.current' });
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => flood.next((f) => f.id === i)));
      const limited = replies.filter((f) => f.t === 'error');
      expect(replies.filter((f) => f.t === 'result').length).toBeGreaterThanOrEqual(5);
      expect(limited.length).toBeGreaterThanOrEqual(20);
      expect(limited[0]).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/per second/) });
      expect((await calm.query('prices.current')).t).toBe('result');
      await new Promise((r) => setTimeout(r, 1100)); // the bucket refills at 2 per second
      expect((await flood.query('prices.current')).t).toBe('result');
      await Promise.all([flood.close(), calm.close()]);
    } finally {
      await s.stop();
    }
  });

  it('overloaded: sockets beyond the session cap are told so and closed; the others keep working', async () => {
    const s = await startTestServer({ env: { MAX_SESSIONS: '2' } });
    try {
      const a = await TestClient.open(s.wsUrl);
      const b = await TestClient.open(s.wsUrl);
      const third = await TestClient.open(s.wsUrl);
      expect(third.hello).toMatchObject({
        t: 'error',
        code: 'overloaded',
        message: expect.stringMatching(/cap of 2 sessions/),
      });
      expect((await third.closed).code).toBe(1013);
      expect((await a.query('prices.current')).t).toBe('result');
      expect(await healthz(s.url)).toMatchObject({ sessions: 2, duckdbConnections: 2 });
      await b.close();
      await waitFor(
        () => healthz(s.url),
        (h) => h.sessions === 1,
      );
      const again = await TestClient.open(s.wsUrl);
      expect(again.hello.t).toBe('hello');
      await Promise.all([a.close(), again.close()]);
    } finally {
      await s.stop();
    }
  });

  it('overloaded: a full query queue refuses instead of growing', async () => {
    const s = await startTestServer({ limits: { maxColdQueries: 1, maxQueuedQueries: 0 } });
    try {
      const clients = await Promise.all(Array.from({ length: 6 }, () => TestClient.open(s.wsUrl)));
      // Six different cold questions at once: one runs, the queue holds none, so the rest are refused.
      const kinds = ['tab.nem', 'tab.prices', 'tab.generation', 'tab.generators', 'prices.stats', 'generation.byFuel'];
      const replies = await Promise.all(clients.map((cl, i) => cl.query(kinds[i])));
      const refused = replies.filter((f) => f.t === 'error');
      expect(refused.length).toBeGreaterThan(0);
      for (const f of refused)
        expect(f).toMatchObject({ code: 'overloaded', message: expect.stringMatching(/try again/) });
      expect((await clients[0].query('prices.current')).t).toBe('result');
      await Promise.all(clients.map((cl) => cl.close()));
    } finally {
      await s.stop();
    }
  });

  it('caps subscriptions per socket', async () => {
    const s = await startTestServer({ limits: { maxSubscriptions: 2 } });
    try {
      const cl = await TestClient.open(s.wsUrl);
      await cl.request('sub', 'prices.current', {}, 1);
      await cl.request('sub', 'generation.mix', {}, 2);
      const third = await cl.request('sub', 'tab.nem', {}, 3);
      expect(third).toMatchObject({
        t: 'error',
        code: 'bad_request',
        message: expect.stringMatching(/at most 2 subscriptions/),
      });
      expect((await cl.request('sub', 'tab.nem', {}, 2)).t).toBe('result'); // reusing an id replaces, within the cap
      await cl.close();
    } finally {
      await s.stop();
    }
  });
});

describe('logging', () => {
  it('logs a client mistake at debug without a stack, also when a push cycle recomputes it (an unknown DUID)', async () => {
    const { log, lines } = captureLog();
    const s = await startTestServer({ log });
    try {
      const cl = await TestClient.open(s.wsUrl);
      // A push cycle that starts while a subscription's first answer is being computed may recompute it as well.
      for (let i = 0; i < 10; i++) {
        cl.send({ t: 'sub', id: i, kind: 'station.output', params: { duid: `NOSUCH${i}` } });
        for (let spin = 0; spin < 10_000 && s.pusher.count === 0; spin++) await new Promise(setImmediate);
        await s.pushUpdate();
        expect(await cl.next((f) => f.id === i)).toMatchObject({
          t: 'error',
          code: 'bad_params',
          message: expect.stringMatching(`NOSUCH${i}`),
        });
      }
      const refusals = lines.filter((l) => JSON.stringify(l).includes('NOSUCH'));
      expect(refusals.length).toBeGreaterThanOrEqual(10);
      for (const l of refusals) expect(l).toMatchObject({ level: 20, code: 'bad_params' });
      expect(lines.filter((l) => l.level >= 40)).toEqual([]);
      expect(lines.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);
      await cl.close();
    } finally {
      await s.stop();
    }
  });
});
