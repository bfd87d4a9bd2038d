// A load-generating client process for the round-trip benchmark: S sockets, each either keeping `depth` queries in
// flight (saturation) or sending one every `intervalMs` (paced analysts), in msgpack or JSON. Forked by roundtrip.ts
// so several processes can drive one server; reports counts, a latency histogram and its own CPU.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { encode } from '../shared/protocol.ts';
import { Histogram, type HistogramSnapshot } from '../soak/histogram.ts';
import { watchLoopDelay } from '../soak/loop-delay.ts';
import { jsonHead, msgpackHead } from './frame-head.ts';
import { HEAD_BYTES, RawWs, type Message } from './raw-ws.ts';
import type { MixQuery } from './query-mix.ts';

export interface LoadOptions {
  url: string;
  codec: 'msgpack' | 'json';
  sockets: number;
  mode: { type: 'pipelined'; depth: number } | { type: 'paced'; intervalMs: number };
  mix: MixQuery[];
  durationMs: number;
  /** Offsets which query each socket starts with, so processes do not ask in lockstep. */
  offset: number;
}

export interface LoadReport {
  answered: number;
  errors: Record<string, number>;
  cache: Record<string, number>;
  latency: HistogramSnapshot;
  cpuMs: number;
  wallMs: number;
  /** p99 of this client's own event-loop delay (beyond the timer period): latencies include this much waiting. */
  loopDelayP99Ms: number;
}

async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const cpu0 = process.cpuUsage();
  const hist = new Histogram();
  const errors: Record<string, number> = {};
  const cache: Record<string, number> = {};
  let answered = 0;
  const pack = o.codec === 'msgpack' ? (f: unknown) => encode(f) : (f: unknown) => JSON.stringify(f);
  // Heads only: the client must not be the bottleneck decoding 100 KB payloads (codec.ts measures that cost), nor
  // allocating them (bench/raw-ws.ts keeps each message's first and last bytes only).
  const unpack =
    o.codec === 'msgpack'
      ? (m: Message) => msgpackHead(m.head)
      : (m: Message) =>
          jsonHead(
            m.length <= HEAD_BYTES ? m.head.toString('utf8') : m.head.toString('utf8') + m.tail.toString('utf8'),
          );

  const handlers: ((m: Message) => void)[] = [];
  const sockets = await Promise.all(
    Array.from(
      { length: o.sockets },
      (_, s) =>
        new Promise<RawWs>((resolve, reject) => {
          let hello: (() => void) | undefined;
          const helloSeen = new Promise<void>((r) => (hello = r));
          RawWs.open(o.url, (m) => {
            if (!hello) return handlers[s]?.(m);
            hello();
            hello = undefined;
          }).then((ws) => helloSeen.then(() => resolve(ws)), reject);
        }),
    ),
  );
  const t0 = performance.now();
  const loop = watchLoopDelay();
  const endAt = t0 + o.durationMs;
  let running = true;
  const timers: NodeJS.Timeout[] = [];
  const drained: Promise<void>[] = [];
  sockets.forEach((ws, s) => {
    const sent = new Map<number, number>();
    let next = 0;
    const send = (): void => {
      if (!running || performance.now() >= endAt) return;
      const q = o.mix[(o.offset + s + next) % o.mix.length];
      const id = ++next;
      sent.set(id, performance.now());
      ws.send(pack({ t: 'query', id, kind: q.kind, params: q.params }));
    };
    handlers[s] = (m) => {
      const f = unpack(m) as { t: string; id?: number; code?: string; meta?: { cache?: string } };
      const at = f.id === undefined ? undefined : sent.get(f.id);
      if (at !== undefined) sent.delete(f.id!);
      if (f.t === 'result' && at !== undefined) {
        const now = performance.now();
        if (now <= endAt) answered++; // throughput counts the window only; late answers still give latencies
        hist.recordMs(now - at);
        const tier = f.meta?.cache ?? '?';
        cache[tier] = (cache[tier] ?? 0) + 1;
      } else if (f.t === 'error') errors[f.code ?? '?'] = (errors[f.code ?? '?'] ?? 0) + 1;
      if (o.mode.type === 'pipelined') send();
    };
    drained.push(ws.closed);
    if (o.mode.type === 'pipelined') for (let d = 0; d < o.mode.depth; d++) send();
    else {
      const interval = o.mode.intervalMs;
      // Spread the first sends over one interval, as analysts do not click in unison.
      timers.push(
        setTimeout(
          () => {
            send();
            timers.push(setInterval(send, interval));
          },
          (s / o.sockets) * interval,
        ),
      );
    }
  });
  await new Promise((r) => setTimeout(r, o.durationMs));
  running = false;
  const loopDelayP99Ms = loop.p99Ms();
  loop.stop();
  for (const t of timers) clearInterval(t);
  const wallMs = performance.now() - t0;
  // Let answers already in flight land (bounded), then close.
  await new Promise((r) => setTimeout(r, 300));
  for (const ws of sockets) ws.close();
  await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 5000))]);
  const cpu = process.cpuUsage(cpu0);
  return {
    answered,
    errors,
    cache,
    latency: hist.snapshot(),
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
    loopDelayP99Ms,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.once('message', (o) => {
    runLoad(o as LoadOptions).then(
      (report) => process.send!(report, () => process.exit(0)),
      (err) => {
        console.error(`load-client: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  });
  process.send!({ ready: true });
}
