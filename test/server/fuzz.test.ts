// Throws thousands of random and mutated frames at a live server, then checks it still answers correctly on every
// socket and holds no extra sessions, connections or subscriptions once the sockets go.
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_NAMES, KINDS } from '../../shared/kinds.ts';
import { encode } from '../../shared/protocol.ts';
import { rng } from '../../shared/rng.ts';
import { healthz, metric, startTestServer, TestClient, type TestServer } from './harness.ts';
import { waitFor } from '../util/wait.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { ratePerSecond: 1e6, rateBurst: 1e6 } });
});
afterAll(async () => {
  await server?.stop();
});

const SEED = 20260401;

function frames(count: number, rand: () => number): Uint8Array[] {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const scalars = () =>
    pick<unknown>([
      null,
      true,
      false,
      0,
      -1,
      1.5,
      2 ** 53,
      -(2 ** 40),
      NaN,
      '',
      'NSW1',
      'SA1',
      '24h',
      'all',
      '5m',
      'x'.repeat(int(300)),
      'WINDA1',
      1775000000,
      [],
      {},
      ['SA1', 'NSW1'],
      [1, [2, [3]]],
      { a: { b: 1 } },
      new Uint8Array(int(20)),
      new Date(0),
    ]);
  const randomValue = (depth: number): unknown => {
    if (depth > 3 || rand() < 0.6) return scalars();
    if (rand() < 0.5) return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    return Object.fromEntries(
      Array.from({ length: int(4) }, () => [
        pick(['a', 'region', 'regions', 'range', 'from', 'to', '__proto__', 'constructor']),
        randomValue(depth + 1),
      ]),
    );
  };
  const structuredFrame = () => {
    const kind = rand() < 0.8 ? pick(KIND_NAMES) : pick(['', 'tab.', 'prices', 'x'.repeat(100), 5, null]);
    const schema =
      typeof kind === 'string' && kind in KINDS ? Object.keys((KINDS as Record<string, object>)[kind]) : [];
    const params =
      rand() < 0.2
        ? randomValue(0)
        : Object.fromEntries(
            Array.from({ length: int(4) }, () => [
              rand() < 0.8 && schema.length ? pick(schema) : pick(['zzz', 'limit', 'q']),
              randomValue(2),
            ]),
          );
    const frame: Record<string, unknown> = {
      t: pick(['query', 'query', 'sub', 'unsub', 'hello', 'result', '', 3]),
      id: rand() < 0.9 ? pick<unknown>([int(50), `s${int(50)}`, -1, 1.25, null, 'x'.repeat(100), {}, []]) : undefined,
      kind,
      params,
    };
    if (rand() < 0.1) delete frame.t;
    if (rand() < 0.1) frame.extra = randomValue(0);
    return frame;
  };
  const structured = () => encode(structuredFrame());
  // msgpackr's own extensions, which a client frame may not use: shared and cyclic references, records, Sets, dates.
  const hostile = new Packr({ structuredClone: true, useRecords: true, moreTypes: true });
  const extended = () => {
    const frame = structuredFrame();
    const shared: unknown[] = ['SA1'];
    if (rand() < 0.5) shared.push(shared);
    frame.params = pick<unknown>([
      { regions: shared, fuels: shared },
      new Set(['SA1']),
      new Date(0),
      [shared, shared, shared],
    ]);
    return hostile.pack(frame);
  };
  const out: Uint8Array[] = [];
  const valid = [
    encode({ t: 'query', id: 1, kind: 'prices.current' }),
    encode({ t: 'sub', id: 's', kind: 'tab.nem', params: { region: 'SA1' } }),
  ];
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.25) {
      out.push(Uint8Array.from({ length: int(120) }, () => int(256)));
    } else if (r < 0.55) {
      const base = Uint8Array.from(rand() < 0.5 ? pick(valid) : structured());
      const mutated = Array.from(base);
      for (let m = 0; m <= int(4); m++) {
        const op = int(3);
        const at = int(mutated.length + 1);
        if (op === 0 && mutated.length) mutated[Math.min(at, mutated.length - 1)] = int(256);
        else if (op === 1) mutated.splice(at, 0, int(256));
        else mutated.splice(at, 1 + int(3));
      }
      out.push(Uint8Array.from(mutated));
    } else if (r < 0.65) {
      out.push(extended());
    } else {
      out.push(structured());
    }
  }
  return out;
}

describe('fuzzing a live server', () => {
  it('survives 6,000 random and mutated frames on 6 sockets and still answers correctly', async () => {
    const rand = rng(SEED);
    const reference = await TestClient.open(server.wsUrl);
    const expected = await reference.query('generation.mix', { region: 'SA1' });
    const clients = await Promise.all(Array.from({ length: 6 }, () => TestClient.open(server.wsUrl)));
    for (const c of clients) {
      for (const f of frames(1000, rand)) c.send(f);
      c.ws.send(Buffer.from('text frame'), { binary: false });
    }
    // Frames of one socket are handled in order: once the sentinel is answered, every fuzz frame was read.
    for (const c of clients) {
      const answer = await c.request('query', 'generation.mix', { region: 'SA1' }, 'sentinel');
      expect(answer.t).toBe('result');
      expect(answer.data).toEqual(expected.data);
    }
    const errors = clients.flatMap((c) => c.frames.filter((f) => f.t === 'error'));
    const codes = new Set(errors.map((f) => f.code));
    console.log(
      `fuzz seed ${SEED}: ${clients.reduce((n, c) => n + c.frames.length, 0)} replies, error codes ${[...codes].join(' ')}`,
    );
    expect(codes).toContain('bad_frame');
    expect(codes).toContain('bad_request');
    expect(codes).toContain('bad_params');
    expect(codes).not.toContain('internal');
    for (const f of errors) expect(typeof f.message === 'string' && f.message.length > 0).toBe(true);
    expect((await healthz(server.url)).sessions).toBe(7);

    await Promise.all([...clients, reference].map((c) => c.close()));
    await waitFor(
      () => healthz(server.url),
      (h) => h.sessions === 0 && h.duckdbConnections === 0,
    );
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(text, 'nemlive_subscriptions')).toBe(0);
    expect(metric(text, 'nemlive_cold_queries', 'state="queued"')).toBe(0);
  });
});
