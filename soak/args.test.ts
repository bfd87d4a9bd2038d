import { describe, expect, it } from 'vitest';
import { parseSoakArgs, UsageError } from './args.ts';

describe('soak arguments', () => {
  it('defaults to the local server on PORT and a bounded run', () => {
    const o = parseSoakArgs([], { PORT: '7001' });
    expect(o).toMatchObject({
      url: 'ws://127.0.0.1:7001/ws',
      sockets: 100,
      durationS: 30,
      rampS: 1,
      seed: 1,
      procs: 1,
      thinkMs: 2000,
      spawn: undefined,
    });
  });

  it('ramps a quarter of the run at most and spreads big runs over processes', () => {
    const o = parseSoakArgs(['--sockets', '1000', '--duration=300'], {});
    expect(o.rampS).toBe(10);
    expect(o.procs).toBeGreaterThanOrEqual(1);
    expect(parseSoakArgs(['--sockets', '3', '--procs', '8'], {}).procs).toBe(3);
  });

  it('refuses counts and times beyond its bounds, naming the flag', () => {
    expect(() => parseSoakArgs(['--sockets', '20001'], {})).toThrow(/--sockets must be a whole number from 1 to 20000/);
    expect(() => parseSoakArgs(['--sockets', '1.5'], {})).toThrow(UsageError);
    expect(() => parseSoakArgs(['--duration', '0'], {})).toThrow(/--duration/);
    expect(() => parseSoakArgs(['--duration', '10', '--ramp', '10'], {})).toThrow(/--ramp .* shorter/);
    expect(() => parseSoakArgs(['--sockets'], {})).toThrow(/--sockets needs a value/);
    expect(() => parseSoakArgs(['--socket', '5'], {})).toThrow(/unknown flag --socket/);
    expect(() => parseSoakArgs(['5'], {})).toThrow(/unexpected argument/);
  });

  it('targets another host only when --url names it, and only over ws', () => {
    expect(parseSoakArgs(['--url', 'wss://nem.example.org/ws'], {}).url).toBe('wss://nem.example.org/ws');
    expect(() => parseSoakArgs(['--url', 'http://127.0.0.1:5006/ws'], {})).toThrow(/ws:\/\//);
    expect(() => parseSoakArgs(['--url', 'not a url'], {})).toThrow(/not a URL/);
    expect(() => parseSoakArgs(['--url', 'ws://127.0.0.1:1/ws', '--spawn'], {})).toThrow(/either --url or --spawn/);
  });

  it('takes server settings only with --spawn', () => {
    expect(parseSoakArgs(['--spawn', '--demo-days', '2', '--data-dir', '/tmp/x'], {}).spawn).toEqual({
      dataDir: '/tmp/x',
      cacheDir: './tmp/soak-cache',
      demoDays: 2,
      replaySeconds: 60,
    });
    expect(() => parseSoakArgs(['--demo-days', '2'], {})).toThrow(/only applies with --spawn/);
  });
});
