// Queued cold work is bounded and fairly shared (the real app, DuckDB and sockets): a socket asking many distinct
// uncached questions at once is refused (`overloaded`) past its own cap, many sockets past the server's queue cap,
// and nemlive_cold_queries{state="queued"} counts every waiting query and never passes the caps; one socket's deep
// queue delays another's question by about one query, also when that question is one the first socket queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0, WATERMARK } from '../util/synthetic-data.ts';
import { decode } from '../../shared/protocol.ts';
import { metric, startTestServer, TestClient, type Frame, type TestServer } from './harness.ts';

/** A distinct uncached question for each n: 5-minute prices from a different start. */
const question = (n: number) => ({ regions: ['SA1', 'NSW1'], from: T0 + n * 300, to: WATERMARK, resolution: '5m' });

/** Sends every question at once (one frame each, ids 1..n) and waits for each one's result or error. */
async function askAll(client: TestClient, questions: object[]): Promise<Frame[]> {
  questions.forEach((params, i) => client.send({ t: 'query', id: i + 1, kind: 'prices.history', params }));
  return Promise.all(
    questions.map((_, i) => client.next((f) => f.id === i + 1 && (f.t === 'result' || f.t === 'error'))),
  );
}

/** Reads the cold-query gauges every few ms until `done` settles; the largest queue seen. */
async function peakQueued(server: TestServer, done: Promise<unknown>): Promise<number> {
  let settled = false;
  void done.finally(() => (settled = true));
  let peak = 0;
  while (!settled) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    peak = Math.max(peak, metric(text, 'nemlive_cold_queries', 'state="queued"'));
    await new Promise((r) => setTimeout(r, 2));
  }
  return peak;
}

async function coldQueries(server: TestServer): Promise<{ running: number; queued: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return {
    running: metric(text, 'nemlive_cold_queries', 'state="running"'),
    queued: metric(text, 'nemlive_cold_queries', 'state="queued"'),
  };
}

describe('queued work per socket and in total', () => {
  it('refuses a socket past its own cap of uncached questions, keeps its queue within it, and still answers it', async () => {
    const server = await startTestServer({ limits: { maxColdQueries: 1, maxSessionQueue: 4 } });
    try {
      const client = await TestClient.open(server.wsUrl);
      const replies = askAll(
        client,
        Array.from({ length: 40 }, (_, n) => question(n)),
      );
      const peak = await peakQueued(server, replies);
      const got = await replies;
      const refused = got.filter((f) => f.t === 'error');
      expect(refused.length).toBeGreaterThan(0);
      for (const f of refused)
        expect(f).toMatchObject({
          code: 'overloaded',
          message: expect.stringMatching(/this socket already has 4 uncached questions/),
        });
      expect(got.length - refused.length).toBeGreaterThanOrEqual(4); // the first four are always admitted
      expect(peak).toBeLessThanOrEqual(4);
      expect(await coldQueries(server)).toEqual({ running: 0, queued: 0 });
      // The socket is not punished: answered questions come from the cache, refused ones can be asked again.
      const first = refused[0].id as number;
      expect((await client.query('prices.history', question(first - 1))).t).toBe('result');
      await client.close();
    } finally {
      await server.stop();
    }
  });

  it('refuses new questions once MAX_QUEUED_QUERIES wait server-wide, and the queue never grows past it', async () => {
    const server = await startTestServer({ limits: { maxColdQueries: 1, maxQueuedQueries: 6, maxSessionQueue: 32 } });
    try {
      const clients = await Promise.all(Array.from({ length: 4 }, () => TestClient.open(server.wsUrl)));
      const replies = Promise.all(
        clients.map((c, k) =>
          askAll(
            c,
            Array.from({ length: 12 }, (_, n) => question(k * 12 + n)),
          ),
        ),
      );
      const peak = await peakQueued(server, replies);
      const got = (await replies).flat();
      const refused = got.filter((f) => f.t === 'error');
      expect(refused.length).toBeGreaterThan(0);
      for (const f of refused)
        expect(f).toMatchObject({
          code: 'overloaded',
          message: expect.stringMatching(/too many queries are waiting; try again/),
        });
      expect(peak).toBeLessThanOrEqual(6);
      expect(await coldQueries(server)).toEqual({ running: 0, queued: 0 });
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      await server.stop();
    }
  });
});

/**
 * Two sockets and the order their answers arrive in across both (`a<id>` / `v<id>`; one process, so the order the
 * frames were read in); `answered` settles at the first answer.
 */
async function attackerAndVictim(server: TestServer) {
  const attacker = await TestClient.open(server.wsUrl);
  const victim = await TestClient.open(server.wsUrl);
  const order: string[] = [];
  let firstAnswer!: () => void;
  const answered = new Promise<void>((r) => (firstAnswer = r));
  for (const [name, c] of [
    ['a', attacker],
    ['v', victim],
  ] as const) {
    c.ws.on('message', (data: Buffer) => {
      const f = decode(data) as Frame;
      if (f.t !== 'result' && f.t !== 'error') return;
      order.push(`${name}${f.id}`);
      firstAnswer();
    });
  }
  return { attacker, victim, order, answered };
}

describe('fair share', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { maxColdQueries: 1, maxSessionQueue: 128 } });
  });
  afterAll(() => server?.stop());

  it("one socket's deep queue does not hold up another's questions, not even one it had queued itself", async () => {
    const { attacker, victim, order, answered } = await attackerAndVictim(server);
    const COUNT = 100;
    const attacked = askAll(
      attacker,
      Array.from({ length: COUNT }, (_, n) => question(n)),
    );
    await answered; // all its frames were read, and its queue is deep
    // The victim: a question of its own, and the attacker's last one (which joins the attacker's waiting query).
    victim.send({ t: 'query', id: 1, kind: 'prices.history', params: { ...question(0), from: T0 - 3600 } });
    victim.send({ t: 'query', id: 2, kind: 'prices.history', params: question(COUNT - 1) });
    const [own, joined] = await Promise.all([1, 2].map((id) => victim.next((f) => f.id === id)));
    expect([own.t, joined.t]).toEqual(['result', 'result']);
    expect((await attacked).every((f) => f.t === 'result')).toBe(true);
    const after = (name: string) => order.slice(order.indexOf(name) + 1).filter((n) => n.startsWith('a')).length;
    // Each victim answer came while most of the attacker's queue was still waiting (with one gate slot and turns
    // taken, about one attacker query runs before each victim one).
    expect(after('v1')).toBeGreaterThan(COUNT / 2);
    expect(after('v2')).toBeGreaterThan(COUNT / 2);
    await Promise.all([attacker.close(), victim.close()]);
  });

  it("a tab deep in one socket's queue is answered promptly to another socket asking the same tab", async () => {
    const { attacker, victim, order, answered } = await attackerAndVictim(server);
    // Distinct tabs of several panels each (one of them shared by every tab: computed once).
    const COUNT = 30;
    const tab = (n: number) => ({ region: 'NEM', from: T0 + n * 300, to: WATERMARK });
    for (let n = 0; n < COUNT; n++) attacker.send({ t: 'query', id: n + 1, kind: 'tab.generation', params: tab(n) });
    await answered;
    victim.send({ t: 'query', id: 1, kind: 'tab.generation', params: tab(COUNT - 1) });
    const got = await victim.next((f) => f.id === 1);
    expect(got.t).toBe('result');
    await Promise.all(Array.from({ length: COUNT }, (_, n) => attacker.next((f) => f.id === n + 1)));
    const after = order.slice(order.indexOf('v1') + 1).filter((n) => n.startsWith('a')).length;
    expect(after).toBeGreaterThan(COUNT / 2);
    await Promise.all([attacker.close(), victim.close()]);
  });
});
