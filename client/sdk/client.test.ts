// The SDK against a small protocol-speaking `ws` server on loopback (the real server's end-to-end tests live in
// test/live/): answers, pushes, errors, reconnect with resubscription, and shutdown.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fakeServer } from '../../test/util/fake-server.ts';
import { until } from '../../test/util/wait.ts';
import { NemClient, NemError, type StateChange, type Update } from './client.ts';
import { backoffDelay } from '../../shared/backoff.ts';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup() {
  const server = await fakeServer();
  const client = new NemClient({ url: server.url, WebSocket, backoff: { initialMs: 20, maxMs: 200 } });
  cleanup.push(
    () => server.close(),
    () => client.close(),
  );
  return { server, client };
}

describe('NemClient', () => {
  it('connects, reads the hello and answers a query with data and meta', async () => {
    const { client } = await setup();
    const hello = await client.connect();
    expect(hello.session).toBe('s1');
    expect(client.state).toBe('open');
    const answer = await client.query('prices.current');
    expect(answer.data).toEqual({ n: 1 });
    expect(answer.meta.watermark).toBe('2026-04-01T00:05:00+10:00');
  });

  it('rejects a refused query with the server error code', async () => {
    const { client } = await setup();
    const err = await client.query('nope' as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NemError);
    expect((err as NemError).code).toBe('unknown_kind');
  });

  it('sends a query made before the socket opens once it opens', async () => {
    const { client, server } = await setup();
    const answer = await client.query('generation.mix', { region: 'SA1' });
    expect(answer.data).toEqual({ n: 1 });
    expect(server.received[0]).toMatchObject({ t: 'query', kind: 'generation.mix', params: { region: 'SA1' } });
  });

  it('iterates a subscription: the current answer, then pushes; break unsubscribes', async () => {
    const { client, server } = await setup();
    const sub = client.sub('prices.current');
    const seen: Update<'prices.current'>[] = [];
    for await (const u of sub) {
      seen.push(u);
      if (seen.length === 1) server.push({ n: 2 }, '2026-04-01T00:10:00+10:00');
      if (seen.length === 2) break;
    }
    expect(seen.map((u) => [u.kind, u.data, u.meta.watermark])).toEqual([
      ['result', { n: 1 }, '2026-04-01T00:05:00+10:00'],
      ['push', { n: 2 }, '2026-04-01T00:10:00+10:00'],
    ]);
    await until(() => server.received.some((f) => f.t === 'unsub'), 'unsub');
    expect(server.received.at(-1)).toEqual({ t: 'unsub', id: sub.id });
    expect(client.watermark).toBe('2026-04-01T00:10:00+10:00');
  });

  it('fails a refused subscription through onError and the iterator', async () => {
    const { client } = await setup();
    const errors: Error[] = [];
    client.sub('nope' as never, {}, { onError: (e) => errors.push(e) });
    await until(() => errors.length > 0, 'error');
    expect((errors[0] as NemError).code).toBe('unknown_kind');
    const sub2 = client.sub('nope' as never);
    await expect(sub2[Symbol.asyncIterator]().next()).rejects.toThrow(/unknown_kind/);
  });

  it('reconnects after the socket dies, resubscribes with since, and skips an unchanged answer', async () => {
    const { client, server } = await setup();
    const states: StateChange[] = [];
    client.onState((s) => states.push(s));
    const updates: Update<'prices.current'>[] = [];
    const sub = client.sub('prices.current', {}, { onUpdate: (u) => updates.push(u) });
    await until(() => updates.length === 1, 'first result');

    for (const ws of server.sockets) ws.terminate();
    await until(() => server.received.filter((f) => f.t === 'sub').length === 2, 'resubscription');
    expect(server.received.at(-1)).toEqual({
      t: 'sub',
      id: sub.id,
      kind: 'prices.current',
      params: {},
      delta: true,
      since: '2026-04-01T00:05:00+10:00',
    });
    await until(() => client.state === 'open', 'reopen');
    expect(states.map((s) => s.state)).toEqual(['connecting', 'open', 'reconnecting', 'connecting', 'open']);
    expect(states[2].reason).toMatch(/^closed/);

    // Nothing changed while away: the repeated answer is not delivered again. A change arrives as usual.
    server.push({ n: 2 }, '2026-04-01T00:10:00+10:00');
    await until(() => updates.length === 2, 'push after reconnect');
    expect(updates.map((u) => u.kind)).toEqual(['result', 'push']);
  });

  it('delivers the current answer at once after a server restart when data moved on meanwhile', async () => {
    const { client, server } = await setup();
    const updates: Update<'prices.current'>[] = [];
    client.sub('prices.current', {}, { onUpdate: (u) => updates.push(u) });
    await until(() => updates.length === 1, 'first result');
    await server.close();
    await until(() => client.state === 'reconnecting', 'reconnecting');
    server.answer = { data: { n: 3 }, watermark: '2026-04-01T00:15:00+10:00' };
    await server.reopen();
    await until(() => updates.length === 2, 'answer after restart');
    expect(updates[1]).toMatchObject({
      kind: 'result',
      data: { n: 3 },
      meta: { watermark: '2026-04-01T00:15:00+10:00' },
    });
  });

  it('does not step back when the answer after a reconnect is older than the push it already has', async () => {
    const { client, server } = await setup();
    const updates: Update<'prices.current'>[] = [];
    client.sub('prices.current', {}, { onUpdate: (u) => updates.push(u) });
    await until(() => updates.length === 1, 'first result');
    server.push({ n: 2 }, '2026-04-01T00:10:00+10:00');
    await until(() => updates.length === 2, 'push');
    // The server pushed 00:10 but still answers requests at 00:05 for a moment (its hot questions come first).
    for (const ws of server.sockets) ws.terminate();
    await until(() => server.received.filter((f) => f.t === 'sub').length === 2, 'resubscription');
    await until(() => client.state === 'open', 'reopen');
    server.push({ n: 3 }, '2026-04-01T00:15:00+10:00');
    await until(() => updates.length === 3, 'next push');
    expect(updates.map((u) => u.meta.watermark)).toEqual([
      '2026-04-01T00:05:00+10:00',
      '2026-04-01T00:10:00+10:00',
      '2026-04-01T00:15:00+10:00',
    ]);
  });

  it('after failing over to a server an interval behind, skips the pushes of what it already has', async () => {
    const { client, server } = await setup();
    const updates: Update<'prices.current'>[] = [];
    client.sub('prices.current', {}, { onUpdate: (u) => updates.push(u) });
    await until(() => updates.length === 1, 'first result');
    server.push({ n: 2 }, '2026-04-01T00:10:00+10:00');
    await until(() => updates.length === 2, 'push');
    // The socket moves to another replica that has not taken 00:10 yet: it answers at 00:05, then catches up and
    // pushes 00:10 whole (and again, as a replica can when its push run is superseded), then 00:15.
    server.answer = { data: { n: 1 }, watermark: '2026-04-01T00:05:00+10:00' };
    for (const ws of server.sockets) ws.terminate();
    await until(() => server.received.filter((f) => f.t === 'sub').length === 2, 'resubscription');
    await until(() => client.state === 'open', 'reopen');
    server.push({ n: 1 }, '2026-04-01T00:00:00+10:00');
    server.push({ n: 2 }, '2026-04-01T00:10:00+10:00');
    server.push({ n: 2 }, '2026-04-01T00:10:00+10:00');
    server.push({ n: 3 }, '2026-04-01T00:15:00+10:00');
    // A revision: the same watermark, a different answer.
    server.push({ n: 4 }, '2026-04-01T00:15:00+10:00');
    await until(() => updates.length >= 4, 'the pushes after the failover');
    await new Promise((r) => setTimeout(r, 50));
    expect(updates.map((u) => [u.meta.watermark, u.data])).toEqual([
      ['2026-04-01T00:05:00+10:00', { n: 1 }],
      ['2026-04-01T00:10:00+10:00', { n: 2 }],
      ['2026-04-01T00:15:00+10:00', { n: 3 }],
      ['2026-04-01T00:15:00+10:00', { n: 4 }],
    ]);
  });

  it('close() rejects pending queries and ends iterators', async () => {
    const { client, server } = await setup();
    await client.connect();
    await server.close(); // no answers from here on
    const pending = client.query('prices.current');
    const sub = client.sub('prices.current');
    const next = sub[Symbol.asyncIterator]().next();
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    await expect(next).resolves.toEqual({ value: undefined, done: true });
    expect(client.state).toBe('closed');
  });
});

describe('backoffDelay', () => {
  const opts = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
  it('grows exponentially up to the cap', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 0))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('takes off at most the jitter fraction', () => {
    expect(backoffDelay(2, opts, () => 0.999999)).toBe(200);
    expect(backoffDelay(2, opts, () => 0.5)).toBe(300);
  });
});
