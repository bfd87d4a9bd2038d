// The cache on its own, in process (the socket round trip is measured by bench/roundtrip.ts): warmup of the
// whole list into an empty LMDB (goal ≤ 10 s on the one-year demo), a warm restart's first tab answer from
// LMDB (goal ≤ 50 ms end to end; this is the cache's share), and the cost of a hit in each tier.
import { join } from 'node:path';
import { TieredCache } from '../server/cache/tiered.ts';
import { openStore } from '../server/store/db.ts';
import { validateParams } from '../shared/kinds.ts';
import { warmList } from '../server/warmup/list.ts';
import { runWarmup } from '../server/warmup/run.ts';
import { storeAnswerPath } from '../server/warmup/store-path.ts';
import { LanePool } from '../server/lane.ts';
import type { BenchContext, BenchResult } from './types.ts';

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const { instance } = await openStore({ dataDir: ctx.dataDir, readOnly: true });
  const conn = await instance.connect();
  const lmdbDir = join(ctx.scratchDir, 'lmdb');
  const open = () => new TieredCache({ lruBytes: 256 << 20, diskPath: lmdbDir, diskBytes: 1024 << 20 });
  const results: BenchResult[] = [];
  try {
    const list = warmList();
    ctx.log(`cache: warmup of ${list.length} queries into an empty LMDB…`);
    let cache = open();
    // As `npm run warmup` runs it: a question per core at once, each on its own connection.
    const lanes = new LanePool(instance, ctx.cores);
    let path = await storeAnswerPath(conn, cache, undefined, lanes);
    const cold = await runWarmup(path, { concurrency: lanes.width });
    await lanes.close();
    if (cold.failed) throw new Error(`cache: ${cold.failed} warmup queries failed`);
    results.push({
      name: `warmup, empty cache (${list.length} queries: tabs × regions × presets + common kinds)`,
      value: r3(cold.seconds),
      unit: 's',
      goal: '≤ 10 s',
      note: `${(cold.bytes / (1 << 20)).toFixed(1)} MB encoded, LMDB ${(cache.disk!.usedBytes() / (1 << 20)).toFixed(1)} MB in pages; hit rate after ${(cold.hitRateAfter * 100).toFixed(0)}%`,
    });
    await cache.close();

    // Warm restart: a new process opens the cache and the first tab is asked for.
    const t0 = performance.now();
    cache = open();
    path = await storeAnswerPath(conn, cache);
    const tab = validateParams('tab.nem', { region: 'NEM' });
    if (!tab.ok) throw new Error(tab.message);
    const first = await path.answer('tab.nem', tab.params);
    const restartMs = performance.now() - t0;
    if (first.tier !== 'lmdb')
      throw new Error(`cache: the first tab after a restart came from ${first.tier}, not LMDB`);
    results.push({
      name: 'warm restart: open cache + read watermark + first tab answer (in process)',
      value: r3(restartMs),
      unit: 'ms',
      goal: '≤ 50 ms (with the socket)',
    });
    const again = await runWarmup(path);
    results.push({
      name: 'warmup, cache already warm',
      value: r3(again.seconds),
      unit: 's',
      note: `${again.alreadyCached}/${again.queries} already cached`,
    });

    // The keys the answer path stored them under (store generation and all): anything else would time misses.
    const keys = list.map((q) => path.keyFor(q.kind, q.params));
    const misses = keys.filter((k) => !cache.has(k)).length;
    if (misses > 0) throw new Error(`cache: ${misses} of the warmed keys are not in the cache`);
    const avgKb = cold.bytes / list.length / 1024;
    const rounds = ctx.quick ? 20 : 200;
    for (const k of keys) cache.get(k); // everything promoted into the LRU
    results.push({
      name: 'LRU hit (lookup)',
      value: r3(perGetUs(() => keys.forEach((k) => cache.lru.get(k.text)), keys.length, rounds)),
      unit: 'µs',
      note: `${keys.length} keys, avg answer ${avgKb.toFixed(1)} KB`,
    });
    results.push({
      name: 'LMDB hit (getBinaryFast + CRC-32 check + copy)',
      value: r3(perGetUs(() => keys.forEach((k) => cache.disk!.get(k.text)), keys.length, Math.ceil(rounds / 10))),
      unit: 'µs',
      note: `avg answer ${avgKb.toFixed(1)} KB`,
    });
    await cache.close();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return results;
}

/** Mean microseconds per get over `rounds` passes of `pass` (which does `n` gets), after one warm-up pass. */
function perGetUs(pass: () => void, n: number, rounds: number): number {
  pass();
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) pass();
  return ((performance.now() - t0) * 1000) / (rounds * n);
}
