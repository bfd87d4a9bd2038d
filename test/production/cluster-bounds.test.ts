// WORKERS=2: a worker's sockets meet the same caps on uncached questions as one process's (MAX_SESSION_QUEUE per
// socket), though the supervisor computes them, and take turns there as they do in one process: before, a worker
// forwarded every miss, and the supervisor answered them all as one first-come queue, so one socket could queue
// unbounded work and hold everyone else's questions (and the live feed) behind it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { metric, TestClient } from '../server/harness.ts';
import { waitFor } from '../util/wait.ts';
import { demoDirs, startServer, type Child } from './child.ts';

let child: Child;
let ws: string;
beforeAll(async () => {
  const dirs = await demoDirs(2, 'nemlive-cluster-bounds-');
  child = startServer(dirs, { WORKERS: '2', WARM: '0', LIVE: 'off', MAX_COLD_QUERIES: '1', MAX_SESSION_QUEUE: '12' });
  ws = `${(await child.listening()).replace('http', 'ws')}/ws`;
});
afterAll(async () => {
  child?.proc.kill('SIGKILL');
  await child?.exit;
});

/** A distinct 5-minute window for each n; none cached (WARM=0), so each is a cold question for the supervisor. */
const window = (to: number, n: number) => ({ regions: ['SA1'], from: to - 86_400 + n * 300, to, resolution: '5m' });

it('a socket on a worker past its cap of uncached questions gets overloaded, and is still answered after', async () => {
  const client = await TestClient.open(ws);
  const to = Date.parse(String(client.hello.watermark)) / 1000;
  // Distinct 5-minute windows, none cached (WARM=0): each is a cold question for the supervisor.
  const params = (n: number) => window(to, n);
  const n = 40;
  for (let i = 1; i <= n; i++) client.send({ t: 'query', id: `q${i}`, kind: 'prices.history', params: params(i) });
  const got = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      client.next((f) => f.id === `q${i + 1}` && (f.t === 'result' || f.t === 'error')),
    ),
  );
  const refused = got.filter((f) => f.t === 'error');
  expect(refused.length).toBeGreaterThan(0);
  for (const f of refused)
    expect(f).toMatchObject({
      code: 'overloaded',
      message: expect.stringMatching(/this socket already has 12 uncached questions/),
    });
  expect(got.length - refused.length).toBeGreaterThanOrEqual(12);
  const again = await client.query('prices.history', params(Number(String(refused[0].id).slice(1))));
  expect(again.t).toBe('result');
  await client.close();
});

it("another socket's question does not wait behind one socket's backlog at the supervisor", async () => {
  const [attacker, victim] = await Promise.all([TestClient.open(ws), TestClient.open(ws)]);
  const to = Date.parse(String(attacker.hello.watermark)) / 1000;
  const order: string[] = [];
  const answered = (c: TestClient, id: string) =>
    c.next((f) => f.id === id && (f.t === 'result' || f.t === 'error'), 60_000).then((f) => (order.push(id), f));
  // 12 distinct cold tabs (the socket's cap; each several panel queries), then, as they queue, one from another socket.
  const backlog = Array.from({ length: 12 }, (_, i) => {
    attacker.send({
      t: 'query',
      id: `a${i}`,
      kind: 'tab.generation',
      params: { region: 'NEM', from: to - 86_400 - i * 300, to, resolution: '5m' },
    });
    return answered(attacker, `a${i}`);
  });
  await new Promise((r) => setTimeout(r, 20));
  victim.send({ t: 'query', id: 'v', kind: 'prices.history', params: { ...window(to, 200), regions: ['NSW1'] } });
  const mine = await answered(victim, 'v');
  expect(mine.t).toBe('result');
  for (const f of await Promise.all(backlog)) expect(f.t).toBe('result');
  // Sockets take turns: the victim's question goes after about one of the backlog's, not after all twelve.
  expect(order.indexOf('v'), order.join(' ')).toBeLessThan(6);
  await Promise.all([attacker.close(), victim.close()]);
});

it('the questions of sockets that left are dropped at the supervisor, not computed for nobody', async () => {
  const sockets = await Promise.all(Array.from({ length: 8 }, () => TestClient.open(ws)));
  const to = Date.parse(String(sockets[0].hello.watermark)) / 1000;
  // 8 sockets × 12 distinct cold tabs (each several panel queries through one cold slot): many seconds of work.
  sockets.forEach((c, s) => {
    for (let i = 0; i < 12; i++)
      c.send({
        t: 'query',
        id: `g${i}`,
        kind: 'tab.generation',
        params: { region: 'NEM', from: to - 86_400 - (s * 12 + i + 20) * 300, to, resolution: '5m' },
      });
  });
  const url = ws.replace('ws', 'http').replace(/\/ws$/, '');
  const queued = async () =>
    metric(await (await fetch(`${url}/metrics`)).text(), 'nemlive_cold_queries', 'state="queued"');
  await waitFor(queued, (n) => n > 0, 10_000);
  await Promise.all(sockets.map((c) => c.close()));
  // What was running finishes; nothing that waited is started after its socket left.
  await waitFor(queued, (n) => n === 0, 3_000);
});
