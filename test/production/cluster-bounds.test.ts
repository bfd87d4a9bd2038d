// WORKERS=2: a worker's sockets meet the same caps on uncached questions as one process's (MAX_SESSION_QUEUE per
// socket), though the supervisor computes them: before, a worker forwarded every miss and one socket could queue
// unbounded work in the supervisor.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestClient } from '../server/harness.ts';
import { demoDirs, startServer, type Child } from './child.ts';

let child: Child;
let ws: string;
beforeAll(async () => {
  const dirs = await demoDirs(2, 'nemlive-cluster-bounds-');
  child = startServer(dirs, { WORKERS: '2', WARM: '0', LIVE: 'off', MAX_COLD_QUERIES: '1', MAX_SESSION_QUEUE: '3' });
  ws = `${(await child.listening()).replace('http', 'ws')}/ws`;
});
afterAll(async () => {
  child?.proc.kill('SIGKILL');
  await child?.exit;
});

it('a socket on a worker past its cap of uncached questions gets overloaded, and is still answered after', async () => {
  const client = await TestClient.open(ws);
  const to = Date.parse(String(client.hello.watermark)) / 1000;
  // Distinct 5-minute windows, none cached (WARM=0): each is a cold question for the supervisor.
  const params = (n: number) => ({ regions: ['SA1'], from: to - 86_400 + n * 300, to, resolution: '5m' });
  const n = 30;
  for (let i = 1; i <= n; i++) client.send({ t: 'query', id: `q${i}`, kind: 'prices.history', params: params(i) });
  const got = await Promise.all(Array.from({ length: n }, (_, i) => client.next((f) => f.id === `q${i + 1}` && (f.t === 'result' || f.t === 'error'))));
  const refused = got.filter((f) => f.t === 'error');
  expect(refused.length).toBeGreaterThan(0);
  for (const f of refused) expect(f).toMatchObject({ code: 'overloaded', message: expect.stringMatching(/this socket already has 3 uncached questions/) });
  expect(got.length - refused.length).toBeGreaterThanOrEqual(3);
  const again = await client.query('prices.history', params(Number(String(refused[0].id).slice(1))));
  expect(again.t).toBe('result');
  await client.close();
});
