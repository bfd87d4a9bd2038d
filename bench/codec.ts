// msgpack (shared/protocol.ts) vs JSON for a typical tab payload: encode and decode time and bytes on the wire.
// The payload is synthetic but shaped like tab.generation over 7 days at 5 minutes: ~2,000 points × 10 fuels,
// one-decimal MW, a price column with cents, a few gaps, and a per-fuel table.
import { FUELS } from '../shared/nem.ts';
import { decode, encode } from '../shared/protocol.ts';
import { rng } from '../shared/rng.ts';
import type { BenchContext, BenchResult } from './types.ts';

export function typicalTabPayload(points = 2016, seed = 1): unknown {
  const r = rng(seed);
  const t0 = 1_775_000_000 - (1_775_000_000 % 300);
  const time = Array.from({ length: points }, (_, i) => t0 + i * 300);
  const series: Record<string, (number | null)[]> = {};
  for (const [f, fuel] of FUELS.entries()) {
    const scale = [9000, 2500, 1800, 3000, 2000, 4000, 60, 300, 40, 900][f];
    series[fuel] = time.map((t) =>
      r() < 0.002
        ? null
        : Math.round(scale * (0.5 + 0.4 * Math.sin((t / 86400) * 2 * Math.PI + f) + 0.1 * r()) * 10) / 10,
    );
  }
  const price = time.map(() => Math.round((40 + 200 * r() ** 4 - 30 * r()) * 100) / 100);
  const table = FUELS.map((fuel) => ({
    fuel,
    avgMw: Math.round(r() * 9000 * 10) / 10,
    gwh: Math.round(r() * 1500 * 100) / 100,
    sharePct: Math.round(r() * 4000) / 100,
    vwPrice: Math.round(r() * 15000) / 100,
  }));
  return {
    t: 'result',
    id: 42,
    kind: 'tab.generation',
    data: {
      panels: {
        byFuel: { time, series, unit: 'MW', resolution: '5m', price, table },
        renewables: {
          time,
          series: { share: series.Wind.map((v) => (v === null ? null : Math.round(v / 100) / 10)) },
          unit: '%',
          resolution: '5m',
        },
      },
    },
    meta: { cache: 'lru', ms: 0.2, watermark: '2026-04-01T00:00:00+10:00' },
  };
}

/** Microseconds per call of `fn`, after a warm-up, over at least `minMs` of repetitions. */
function timePerOp(fn: () => unknown, minMs: number): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  const minNs = BigInt(Math.round(minMs * 1e6));
  while (elapsedNs < minNs) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    elapsedNs = process.hrtime.bigint() - start;
  }
  return Number(elapsedNs) / 1000 / n;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const payload = typicalTabPayload();
  const minMs = ctx.quick ? 300 : 1500;
  const packed = encode(payload);
  const jsonBytes = Buffer.from(JSON.stringify(payload));
  ctx.log(`codec: payload is ${packed.length} B msgpack, ${jsonBytes.length} B JSON`);
  // JSON on a socket is a string turned into UTF-8 bytes and back: both steps count.
  const mEnc = timePerOp(() => encode(payload), minMs);
  const jEnc = timePerOp(() => Buffer.from(JSON.stringify(payload)), minMs);
  const mDec = timePerOp(() => decode(packed), minMs);
  const jDec = timePerOp(() => JSON.parse(jsonBytes.toString('utf8')), minMs);
  const r = (x: number): number => Math.round(x * 100) / 100;
  return [
    {
      name: 'codec: encode tab payload (2,016 pts × 10 series), msgpack vs JSON',
      value: r(mEnc),
      unit: 'µs',
      baseline: r(jEnc),
      ratio: r(jEnc / mEnc),
      note: 'ratio = JSON time ÷ msgpack time',
    },
    {
      name: 'codec: decode tab payload, msgpack vs JSON',
      value: r(mDec),
      unit: 'µs',
      baseline: r(jDec),
      ratio: r(jDec / mDec),
      note: 'ratio = JSON time ÷ msgpack time',
    },
    {
      name: 'codec: tab payload size, msgpack vs JSON',
      value: Math.round(packed.length / 1024),
      unit: 'KB',
      baseline: Math.round(jsonBytes.length / 1024),
      ratio: r(jsonBytes.length / packed.length),
      note: 'ratio = JSON bytes ÷ msgpack bytes',
    },
  ];
}
