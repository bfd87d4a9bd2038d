// Frames built to cost the server more than they cost the sender: msgpackr references that decode into a cyclic
// graph (which froze the whole server), very wide frames, and floods of undecodable bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../shared/protocol.ts';
import { demoDirs, startServer, type Child, type Dirs } from '../production/child.ts';
import { healthz, startTestServer, TestClient, type Frame, type TestServer } from './harness.ts';

/** The reproduction: {t: an array of k elements, each a structured-clone reference back to the array}. */
const cyclicFrame = (k: number) =>
  Uint8Array.from([
    0x81,
    0xa1,
    0x74,
    0xd6,
    0x69,
    0,
    0,
    0,
    1,
    0xdc,
    0,
    k,
    ...Array.from({ length: k }, () => [0xd6, 0x70, 0, 0, 0, 1]).flat(),
  ]);

describe('a server in its own process', () => {
  // Its own process: a frozen server must not freeze the test, which then fails and kills it.
  let dirs: Dirs;
  let child: Child;
  let url: string;
  beforeAll(async () => {
    dirs = await demoDirs(2, 'nemlive-hostile-');
    child = startServer(dirs, { LOG_LEVEL: 'warn' });
    url = await child.listening();
  });
  afterAll(async () => {
    child?.proc.kill('SIGKILL');
    await child?.exit;
    dirs?.remove();
  });

  it('answers the 612-byte cyclic frame with bad_frame and keeps answering everyone', async () => {
    const attacker = await TestClient.open(`${url.replace('http', 'ws')}/ws`);
    const bystander = await TestClient.open(`${url.replace('http', 'ws')}/ws`);
    attacker.send(cyclicFrame(100));
    const err = await attacker.next((f) => f.t === 'error');
    expect(err).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/extension type/) });
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) });
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expect((await bystander.query('prices.current')).t).toBe('result');
    expect((await attacker.query('prices.current')).t).toBe('result');
    await Promise.all([attacker.close(), bystander.close()]);
  });
});

describe('frames that cost more than they carry', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { ratePerSecond: 2, rateBurst: 5 } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a frame of 60,000 tiny values as bad_request, without reading them all', async () => {
    const c = await TestClient.open(server.wsUrl);
    const wide = encode({ t: 'query', id: 1, kind: 'prices.history', params: { regions: new Array(60_000).fill(0) } });
    expect(wide.length).toBeLessThanOrEqual(server.config.maxPayloadBytes);
    c.send(wide);
    expect(await c.next((f) => f.t === 'error')).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/more than 1024 values/),
    });
    expect((await c.query('prices.current')).t).toBe('result');
    await c.close();
  });

  it('charges undecodable frames to the rate limit like any other', async () => {
    const flood = await TestClient.open(server.wsUrl);
    const calm = await TestClient.open(server.wsUrl);
    for (let i = 0; i < 30; i++) flood.send(Uint8Array.from([0xc1, i]));
    const errors: Frame[] = [];
    for (let i = 0; i < 30; i++) errors.push(await flood.next((f) => f.t === 'error'));
    const codes = errors.map((f) => f.code);
    // A burst of 5 plus what refills (2 per second) while the 30 are read: the rest are refused unread.
    expect(codes.filter((c) => c === 'bad_frame').length).toBeGreaterThanOrEqual(5);
    expect(codes.filter((c) => c === 'rate_limited').length).toBeGreaterThanOrEqual(20);
    expect(codes.filter((c) => c !== 'bad_frame' && c !== 'rate_limited')).toEqual([]);
    expect((await calm.query('prices.current')).t).toBe('result');
    expect((await healthz(server.url)).sessions).toBe(2);
    await Promise.all([flood.close(), calm.close()]);
  });
});
