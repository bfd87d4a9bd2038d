// The analyst runner's bookkeeping, against a scripted `ws` server on loopback: the real server never fails on
// demand, so this is where error frames, abrupt closes and clean stops are checked to be counted right.
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode } from '../shared/protocol.ts';
import { Analyst, newStats } from './analyst.ts';
import type { Action } from './script.ts';

let wss: WebSocketServer | undefined;
afterEach(() => new Promise<void>((r) => (wss ? wss.close(() => r()) : r())));

/** A server answering every query from `answer(frame, socket)`; returns its URL. */
async function server(
  answer: (f: { t: string; id: number; kind: string; params: Record<string, unknown> }, ws: WebSocket) => unknown,
): Promise<string> {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss!.once('listening', r));
  wss.on('connection', (ws) => {
    ws.send(encode({ t: 'hello', v: 1, session: 's', watermark: 'w', kinds: [], tabs: [] }));
    ws.on('message', (raw: Buffer) => {
      const f = decode(raw) as { t: string; id: number; kind: string; params: Record<string, unknown> };
      if (f.t === 'unsub') return;
      const out = answer(f, ws);
      if (out) ws.send(encode(out));
    });
  });
  return `ws://127.0.0.1:${(wss.address() as { port: number }).port}/ws`;
}

const result = (f: { id: number; kind: string }, data: unknown = {}, cache = 'lru') => ({
  t: 'result',
  id: f.id,
  kind: f.kind,
  data,
  meta: { cache, ms: 0, watermark: 'w' },
});

/** Plays `actions` once, then idles until stopped. */
function scripted(actions: Action[]): Iterator<Action> {
  let i = 0;
  return { next: () => ({ done: false, value: actions[i++] ?? { type: 'idle', ms: 60_000 } }) };
}

/** Runs the actions until `done(stats)` holds (or 5 s pass), then stops the analyst. */
async function play(url: string, actions: Action[], done: (s: ReturnType<typeof newStats>) => boolean) {
  const stats = newStats();
  const a = new Analyst(url, scripted(actions), stats);
  const running = a.run();
  for (let i = 0; i < 250 && !done(stats); i++) await new Promise((r) => setTimeout(r, 20));
  a.stop();
  await running;
  return stats;
}

const view = { tab: 'tab.nem', region: 'NEM', range: '24h' } as const;

describe('analyst runner', () => {
  it('counts answers by cache tier, follows a search to the station, and stops cleanly', async () => {
    const kinds: string[] = [];
    const url = await server((f) => {
      kinds.push(`${f.t} ${f.kind} ${JSON.stringify(f.params)}`);
      if (f.kind === 'stations.search') return result(f, { q: 'x', rows: [{ duid: 'A1' }, { duid: 'B1' }] }, 'db');
      return result(f, {}, f.kind === 'station.output' ? 'lmdb' : 'lru');
    });
    const stats = await play(
      url,
      [
        { type: 'open', view },
        { type: 'search', q: 'bay', pick: 1, range: '7d' },
        { type: 'peek', kind: 'prices.current', region: 'NEM' },
      ],
      (s) => s.requests === 4,
    );
    expect(kinds).toEqual([
      'sub tab.nem {"region":"NEM"}',
      'query stations.search {"q":"bay"}',
      'query station.output {"duid":"B1","range":"7d"}',
      'query prices.current {}',
    ]);
    expect(stats.errors).toEqual({});
    expect(stats.requests).toBe(4);
    expect(stats.cache).toEqual({ lru: 2, lmdb: 1, db: 1 });
    expect(stats.latency.count).toBe(4);
    expect(stats.open).toBe(0);
    expect(stats.connects).toBe(1);
  });

  it('counts an error frame by its code and carries on', async () => {
    const url = await server((f) =>
      f.kind === 'prices.current' ? { t: 'error', id: f.id, code: 'internal', message: 'boom' } : result(f),
    );
    const stats = await play(
      url,
      [
        { type: 'open', view },
        { type: 'peek', kind: 'prices.current', region: 'NEM' },
        { type: 'peek', kind: 'generation.mix', region: 'SA1' },
      ],
      (s) => s.requests === 2,
    );
    expect(stats.errors).toEqual({ internal: 1 });
    expect(stats.errorSamples).toEqual(['internal: boom']);
    expect(stats.requests).toBe(2);
  });

  it('counts a server-side close as an error, reconnects and re-subscribes to the same view', async () => {
    let subs = 0;
    const url = await server((f, ws) => {
      if (f.t === 'sub') subs++;
      if (f.kind === 'generation.mix') return void ws.terminate();
      return result(f);
    });
    const stats = await play(
      url,
      [
        { type: 'open', view },
        { type: 'peek', kind: 'generation.mix', region: 'NEM' },
      ],
      (s) => s.requests === 2,
    );
    expect(stats.errors).toEqual({ socket_closed: 1 });
    expect(stats.connects).toBe(2);
    expect(subs).toBe(2);
    expect(stats.open).toBe(0);
  });

  it('reconnects on purpose without counting an error', async () => {
    const url = await server((f) => result(f));
    const stats = await play(
      url,
      [
        { type: 'open', view },
        { type: 'reconnect', pauseMs: 10 },
        { type: 'changeRegion', view: { ...view, region: 'SA1' } },
      ],
      (s) => s.requests === 3,
    );
    expect(stats.errors).toEqual({});
    expect(stats.reconnects).toBe(1);
    expect(stats.connects).toBe(2);
    expect(stats.requests).toBe(3); // open, the re-subscription after reconnecting, and the region change
  });
});
