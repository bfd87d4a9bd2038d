// LIVE=demo end to end: the real server appends an interval every REPLAY_SECONDS and subscribers get pushes with
// the later watermark, through the SDK (as a script would use it) and through `npm run sub`.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NemClient, type Update } from '../../client/sdk/client.ts';
import { startLiveServer, storeDir, type LiveServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

let store: StoreDir;
let server: LiveServer;
beforeAll(async () => {
  store = await storeDir(1);
  server = await startLiveServer(store, { LIVE: 'demo', REPLAY_SECONDS: '1' });
});
afterAll(async () => {
  await server?.close();
  store?.remove();
});

describe('demo replay', () => {
  it('pushes each replayed interval to an SDK subscriber with a later watermark', async () => {
    const client = new NemClient({ url: server.wsUrl, WebSocket });
    try {
      const updates: Update<'prices.current'>[] = [];
      // A replay says so: the dashboard calls it a replay, not live (its data runs ahead of the clock here).
      expect((await client.connect()).feed).toEqual({ source: 'replay', everySeconds: 1 });
      const sub = client.sub('prices.current', {}, { onUpdate: (u) => updates.push(u) });
      await until(() => updates.some((u) => u.kind === 'push'), 'a push');
      const [first, push] = [updates[0], updates.find((u) => u.kind === 'push')!];
      expect(first.kind).toBe('result');
      expect(push.meta.watermark > first.meta.watermark).toBe(true);
      // The pushed answer is about the new interval: its time is the new watermark.
      expect(new Date(push.meta.watermark).getTime() / 1000).toBe(push.data.time);
      expect(push.data.rows.map((r) => r.region)).toEqual(['NSW1', 'QLD1', 'VIC1', 'SA1', 'TAS1']);
      sub.close();
    } finally {
      client.close();
    }
    // Latency is recorded once an interval's pushes are all written, which can be after this socket got its push, and
    // not for an interval that arrived while nothing was subscribed: wait for the next one if need be.
    const pushes = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/^nemlive_push_latency_seconds_count (\d+)/m.exec(text)?.[1] ?? 0);
    };
    await until(async () => (await pushes()) >= 1, 'a push latency recorded');
    expect(server.lines.some((l) => l.msg === 'live: new data pushed')).toBe(true);
  });

  it('`npm run sub` prints the result and a push as NDJSON and exits 0 after --count', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'client/sdk/sub-cli.ts',
        'generation.mix',
        '--region',
        'SA1',
        '--url',
        server.wsUrl,
        '--count',
        '2',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, err).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; kind: string; watermark: string; data: { region: string } });
    expect(lines.map((l) => [l.type, l.kind, l.data.region])).toEqual([
      ['result', 'generation.mix', 'SA1'],
      ['push', 'generation.mix', 'SA1'],
    ]);
    expect(lines[1].watermark > lines[0].watermark).toBe(true);
    expect(err).toMatch(/^sub: connected to ws:\/\/127\.0\.0\.1:\d+\/ws \(session \S+, watermark 20\d\d-/);
  });
});
