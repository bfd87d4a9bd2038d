// 1,000 raw `ws` subscribers on the real server, spread over a few questions, all receive one interval's push.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decode, encode } from '../../shared/protocol.ts';
import { toNemIso } from '../../shared/nem.ts';
import { startLiveServer, storeDir, type LiveServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

const N = 1000;
const QUESTIONS = [
  { kind: 'prices.current', params: {} },
  ...['NEM', 'NSW1', 'QLD1', 'VIC1', 'SA1', 'TAS1'].map((region) => ({ kind: 'generation.mix', params: { region } })),
];

interface Sub {
  ws: WebSocket;
  frames: { t: string; id: unknown; kind: string; meta?: { watermark: string } }[];
}

let store: StoreDir;
let server: LiveServer;
const subs: Sub[] = [];
beforeAll(async () => {
  store = await storeDir(1);
  server = await startLiveServer(store, { LIVE: 'demo', REPLAY_SECONDS: '3600' });
  for (let i = 0; i < N; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => {
        const q = QUESTIONS[(i + j) % QUESTIONS.length];
        const s: Sub = { ws: new WebSocket(server.wsUrl, { perMessageDeflate: false }), frames: [] };
        subs.push(s);
        return new Promise<void>((resolve, reject) => {
          s.ws.on('error', reject);
          s.ws.on('message', (raw: Buffer) => {
            const f = decode(raw) as Sub['frames'][number];
            s.frames.push(f);
            if (f.t === 'hello') s.ws.send(encode({ t: 'sub', id: (i + j) % 3, kind: q.kind, params: q.params }));
            if (f.t === 'result') resolve();
          });
        });
      }),
    );
  }
});
afterAll(async () => {
  for (const s of subs) s.ws.terminate();
  await server?.close();
  store?.remove();
});

describe('fan-out', () => {
  it(`delivers one interval's push to all ${N} subscribers, exactly once each`, async () => {
    expect(subs.filter((s) => s.frames.some((f) => f.t === 'result'))).toHaveLength(N);
    const ts = await server.demo().step();
    const pushed = () => subs.filter((s) => s.frames.some((f) => f.t === 'push')).length;
    await until(() => pushed() === N, `${N} pushes (have ${pushed()})`);
    for (const [i, s] of subs.entries()) {
      const pushes = s.frames.filter((f) => f.t === 'push');
      expect(pushes).toHaveLength(1);
      expect(pushes[0]).toMatchObject({
        id: i % 3,
        kind: QUESTIONS[i % QUESTIONS.length].kind,
        meta: { watermark: toNemIso(ts!) },
      });
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    // One publish per (question, client id) topic: 7 questions × 3 ids, not one send per socket.
    expect(Number(/^nemlive_pushes_total (\d+)/m.exec(text)?.[1])).toBe(QUESTIONS.length * 3);
    expect(Number(/^nemlive_push_latency_seconds_count (\d+)/m.exec(text)?.[1])).toBe(1);
  });
});
