// Push deltas in the SDK, against the protocol server on loopback: subscriptions ask for them, a delta whose base is
// the watermark held is applied and handed over as a whole answer, and one that does not fit (another base, or data
// it cannot apply to) is not delivered: the subscription asks for the whole answer again.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { diff } from '../../shared/delta.ts';
import { encode } from '../../shared/protocol.ts';
import { NemClient, type Update } from './client.ts';
import { fakeServer } from '../../test/util/fake-server.ts';
import { until } from '../../test/util/wait.ts';

const W = (m: number) => `2026-04-01T00:${String(m).padStart(2, '0')}:00+10:00`;
const meta = (watermark: string) => ({ cache: 'lru', ms: 0.1, watermark });

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** A subscriber holding `first` at 00:05, and a way to push any frame to it. */
async function setup(first: unknown) {
  const server = await fakeServer();
  server.answer = { data: first, watermark: W(5) };
  const client = new NemClient({ url: server.url, WebSocket, backoff: { initialMs: 20, maxMs: 200 } });
  cleanup.push(
    () => server.close(),
    () => client.close(),
  );
  const updates: Update<'prices.history'>[] = [];
  const sub = client.sub('prices.history', { regions: ['SA1'] }, { onUpdate: (u) => updates.push(u) });
  await until(() => updates.length === 1, 'first result');
  const send = (frame: object) => {
    for (const ws of server.sockets) ws.send(encode({ t: 'push', id: sub.id, kind: 'prices.history', ...frame }));
  };
  return { server, client, sub, updates, send };
}

const series = (start: number, values: number[]) => ({
  time: values.map((_, i) => start + 300 * i),
  series: { SA1: values },
  unit: '$/MWh',
  resolution: '5m',
});

describe('SDK push deltas', () => {
  it('asks for deltas and applies one whose base it holds, handing over the whole answer', async () => {
    const a = series(1000, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    const b = series(1300, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19.5]);
    const c = series(1600, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19.25, 20]);
    const { server, updates, send } = await setup(a);
    expect(server.received[0]).toMatchObject({ t: 'sub', kind: 'prices.history', delta: true });

    const d1 = diff(a, b)!;
    expect(d1).toMatchObject({ o: { time: { a: [1, 17, [b.time.at(-1)]] } } });
    send({ base: W(5), delta: d1, meta: meta(W(10)) });
    await until(() => updates.length === 2, 'first delta push');
    expect(updates[1]).toEqual({ kind: 'push', data: b, meta: meta(W(10)) });
    // The next delta applies to what the last one built (its last point revised, one appended).
    send({ base: W(10), delta: diff(b, c), meta: meta(W(15)) });
    await until(() => updates.length === 3, 'second delta push');
    expect(updates[2]).toEqual({ kind: 'push', data: c, meta: meta(W(15)) });
    // A full push still works beside them.
    send({ data: a, meta: meta(W(20)) });
    await until(() => updates.length === 4, 'full push');
    expect(updates[3].data).toEqual(a);
    expect(server.received.filter((f) => f.t === 'sub')).toHaveLength(1);
  });

  it('does not deliver a delta against another watermark: it re-sends the sub and takes the whole answer', async () => {
    const a = series(1000, [1, 2, 3]);
    const now = series(1600, [3, 4, 5]);
    const { server, sub, updates, send } = await setup(a);
    server.answer = { data: now, watermark: W(15) };
    // Based on 00:10, which this subscriber never got (say a push was lost).
    send({ base: W(10), delta: { o: { unit: { r: 'wrong' } } }, meta: meta(W(15)) });
    await until(() => server.received.filter((f) => f.t === 'sub').length === 2, 'resubscription');
    expect(server.received.at(-1)).toEqual({
      t: 'sub',
      id: sub.id,
      kind: 'prices.history',
      params: { regions: ['SA1'] },
      delta: true,
      since: W(5),
    });
    await until(() => updates.length === 2, 'the whole answer');
    expect(updates[1]).toEqual({ kind: 'result', data: now, meta: meta(W(15)) });
    expect(updates.some((u) => u.data.unit === 'wrong')).toBe(false);
  });

  it('does not deliver a delta that does not fit the data held, and asks again', async () => {
    const a = series(1000, [1, 2, 3]);
    const { server, updates, send } = await setup(a);
    server.answer = { data: series(1300, [2, 3, 4]), watermark: W(10) };
    send({ base: W(5), delta: { o: { time: { a: [2, 5, [9]] } } }, meta: meta(W(10)) }); // keeps 5 of 3 points
    await until(() => server.received.filter((f) => f.t === 'sub').length === 2, 'resubscription');
    await until(() => updates.length === 2, 'the whole answer');
    expect(updates.map((u) => u.kind)).toEqual(['result', 'result']);
    expect(updates[1].data.time).toEqual([1300, 1600, 1900]);
  });
});
