// `npm run sub`: argument parsing, and the real CLI process against a protocol server on loopback.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeServer, type FakeServer } from '../../test/util/fake-server.ts';
import { parseSubArgs, UsageError } from './sub-args.ts';

describe('parseSubArgs', () => {
  it('maps flags onto the kind schema, with --region filling a regions list', () => {
    expect(parseSubArgs(['prices.history', '--region', 'SA1,VIC1', '--range', '7d', '--url', 'ws://h:1/ws'])).toEqual({
      kind: 'prices.history',
      params: { regions: ['SA1', 'VIC1'], range: '7d' },
      url: 'ws://h:1/ws',
      count: undefined,
    });
    expect(
      parseSubArgs(['generation.byFuel', '--region', 'QLD1', '--param', 'resolution=30m', '--count', '2'], {
        HOST: '10.0.0.2',
        PORT: '8080',
      }),
    ).toEqual({
      kind: 'generation.byFuel',
      params: { region: 'QLD1', resolution: '30m' },
      url: 'ws://10.0.0.2:8080/ws',
      count: 2,
    });
  });

  it('reads times as epoch seconds or ISO-8601', () => {
    const a = parseSubArgs(['prices.stats', '--from', '2026-04-01T00:00:00+10:00', '--to', '1775052000']);
    expect(a.params).toEqual({ from: 1774965600, to: 1775052000 });
  });

  it('refuses unknown kinds, unknown parameters and bad values with a message', () => {
    expect(() => parseSubArgs(['nope'])).toThrow(/unknown kind "nope"/);
    expect(() => parseSubArgs(['prices.current', '--region', 'SA1'])).toThrow(
      /prices.current has no parameter "region"/,
    );
    expect(() => parseSubArgs(['generation.mix', '--region', 'MARS'])).toThrow(/region must be one of/);
    expect(() => parseSubArgs(['generation.mix', '--param', 'oops'])).toThrow(/name=value/);
    expect(() => parseSubArgs([])).toThrow(UsageError);
    expect(() => parseSubArgs(['prices.current', '--url', 'http://x'])).toThrow(/--url/);
  });
});

describe('sub CLI', () => {
  let server: FakeServer | undefined;
  afterEach(async () => server?.close());

  function run(args: string[]) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/sdk/sub-cli.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    let err = '';
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      const lines = (partial + b.toString()).split('\n');
      partial = lines.pop()!;
      out.push(...lines);
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, out, stderr: () => err, exited };
  }
  const until = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 1500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  };

  it('prints NDJSON per result and push, reports a lost connection on stderr, and exits 0 on SIGINT', async () => {
    server = await fakeServer();
    const cli = run(['prices.current', '--url', server.url]);
    await until(() => cli.out.length === 1, 'first line');
    expect(JSON.parse(cli.out[0])).toEqual({
      type: 'result',
      kind: 'prices.current',
      watermark: '2026-04-01T00:05:00+10:00',
      meta: { cache: 'lru', ms: 0.1, watermark: '2026-04-01T00:05:00+10:00' },
      data: { n: 1 },
    });
    server.push({ n: 2 }, '2026-04-01T00:10:00+10:00');
    await until(() => cli.out.length === 2, 'push line');
    expect(JSON.parse(cli.out[1])).toMatchObject({ type: 'push', data: { n: 2 } });

    for (const ws of server.sockets) ws.terminate();
    await until(() => /reconnected to/.test(cli.stderr()), 'reconnect notice');
    expect(cli.stderr()).toMatch(/connection lost \(closed 1006\); retrying in \d+ ms \(attempt 1\)/);
    expect(cli.out.length).toBe(2); // the unchanged answer after reconnecting is not printed again

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('exits 2 with the usage on a bad parameter, before connecting', async () => {
    const cli = run(['generation.mix', '--region', 'MARS']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/sub: region must be one of NSW1 QLD1 VIC1 SA1 TAS1 NEM\nusage:/);
  });

  it('stops after --count lines', async () => {
    server = await fakeServer();
    const cli = run(['prices.current', '--url', server.url, '--count', '1']);
    expect(await cli.exited).toBe(0);
    expect(cli.out.length).toBe(1);
  });
});
