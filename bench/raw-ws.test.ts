// The load clients' bare WebSocket (bench/raw-ws.ts) against the real server: hello, a query and its big answer
// arrive whole as far as the client reads them (the head's fields, the payload's last bytes), and close is clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encode } from '../shared/protocol.ts';
import { startTestServer, type TestServer } from '../test/server/harness.ts';
import { msgpackHead } from './frame-head.ts';
import { HEAD_BYTES, RawWs, TAIL_BYTES, type Message } from './raw-ws.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const BIG = { kind: 'tab.generation', params: { region: 'NEM', range: 'all', resolution: '5m' } };

/** The same answer through the `ws` package, whole: the reference bytes. */
async function wholeFrame(): Promise<Buffer> {
  const ws = new WebSocket(server.wsUrl, { perMessageDeflate: false });
  const frames: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (b: Buffer) => {
      frames.push(b);
      if (frames.length === 1) ws.send(encode({ t: 'query', id: 1, ...BIG }));
      else resolve();
    });
  });
  ws.close();
  return frames[1];
}

describe('raw-ws', () => {
  it('gives each message its length, head and tail, and sends frames the server reads', async () => {
    const got: { length: number; head: Buffer; tail: Buffer }[] = [];
    let arrived: () => void = () => undefined;
    const raw = await RawWs.open(server.wsUrl, (m: Message) => {
      got.push({ length: m.length, head: Buffer.from(m.head), tail: Buffer.from(m.tail) });
      arrived();
    });
    const next = (n: number) =>
      new Promise<void>((resolve) => (arrived = () => got.length >= n && resolve())).then(() => got[n - 1]);
    const hello = got[0] ?? (await next(1));
    expect(msgpackHead(hello.head)).toMatchObject({ t: 'hello' });

    const pending = next(2);
    raw.send(encode({ t: 'query', id: 7, ...BIG }));
    const answer = await pending;
    const reference = await wholeFrame();
    expect(answer.length).toBeGreaterThan(HEAD_BYTES + TAIL_BYTES); // big enough to exercise both buffers
    expect(msgpackHead(answer.head)).toMatchObject({ t: 'result', id: 7, kind: 'tab.generation' });
    expect(answer.head.length).toBe(HEAD_BYTES);
    // The payload ends with the cached data bytes, the same for every asker.
    expect(answer.tail.equals(reference.subarray(reference.length - TAIL_BYTES))).toBe(true);
    expect(Math.abs(answer.length - reference.length)).toBeLessThanOrEqual(8); // only meta.ms and the id differ

    raw.close();
    await raw.closed;
  });
});
