// Boot herd (issue 16): 1,000 sockets opening within 1 s on a server that has just started (its /healthz answers, its
// boot warmup running), each asking for its tab; then the same after a restart on the LMDB cache the first run left.
// Latency is from the socket's connect to its tab's result. The 30-day demo replays an interval every 5 s meanwhile.
// Run for the server as it is and for the baseline (HOT_REFRESH=every ADVANCE=0 APP_SLOTS=1), each on a copy of the
// same store.
import { join } from 'node:path';
import WebSocket from 'ws';
import { isTabKind } from '../shared/kinds.ts';
import { encode } from '../shared/protocol.ts';
import { msgpackHead } from './frame-head.ts';
import { metricSum, parseMetrics } from '../soak/server-probe.ts';
import { spawnServer } from '../soak/spawn-server.ts';
import { warmList } from '../server/warmup/list.ts';
import { POLICIES, storeCopy } from './fast-cadence.ts';
import { pct, r2 } from './push.ts';
import type { BenchContext, BenchResult } from './types.ts';

interface Herd {
  p50: number;
  p99: number;
  errors: number;
  /** Answers by where they came from (meta.cache: lru, lmdb, db, …). */
  from: Record<string, number>;
  /** The server's own time for the answer (meta.ms), p99: the rest of the latency is the socket and the queue. */
  serverP99: number;
}

/** The tabs as a dashboard opens them: the warmup list's first 42, every tab kind × region at the default range. */
const tabQuestions = () =>
  warmList()
    .filter((q) => isTabKind(q.kind))
    .slice(0, 42);

/** `n` sockets, one opened every `spreadMs / n` ms, each asking one tab; resolves when all have their answer. */
async function herd(url: string, n: number, spreadMs: number): Promise<Herd> {
  const tabs = tabQuestions();
  const times: number[] = [];
  const from: Record<string, number> = {};
  const serverMs: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<void>((resolve) => {
          setTimeout(
            () => {
              const t0 = performance.now();
              const ws = new WebSocket(url);
              ws.binaryType = 'nodebuffer';
              const q = tabs[i % tabs.length];
              const done = (ok: boolean) => {
                if (ok) times.push(performance.now() - t0);
                else errors++;
                ws.close();
                resolve();
              };
              const timer = setTimeout(() => done(false), 60_000);
              ws.on('open', () => ws.send(encode({ t: 'query', id: 1, kind: q.kind, params: q.params })));
              ws.on('message', (data: Buffer) => {
                // The head only: 1,000 tab answers decoded whole in this one process would time the client's decoding.
                const f = msgpackHead(data);
                if (f.t === 'hello') return;
                clearTimeout(timer);
                const source = f.meta?.cache ?? f.t;
                from[source] = (from[source] ?? 0) + 1;
                if (typeof f.meta?.ms === 'number') serverMs.push(f.meta.ms);
                done(f.t === 'result');
              });
              ws.on('error', () => {
                clearTimeout(timer);
                done(false);
              });
            },
            (i * spreadMs) / n,
          );
        }),
    ),
  );
  times.sort((a, b) => a - b);
  serverMs.sort((a, b) => a - b);
  return { p50: r2(pct(times, 50)), p99: r2(pct(times, 99)), errors, from, serverP99: r2(pct(serverMs, 99)) };
}

const summary = (h: Herd) =>
  `p50 ${h.p50} ms, p99 ${h.p99} ms (the server's own part: p99 ${h.serverP99} ms), ${h.errors} errors; answers from ` +
  JSON.stringify(h.from);

/** Waits (at most a minute) until the hot refresh has recomputed `n` answers since start, then a second more. */
async function refreshed(base: string, n: number): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const res = await fetch(`${base}/metrics`).catch(() => undefined);
    const text = res?.ok ? await res.text() : '';
    if ((metricSum(parseMetrics(text), 'nemlive_cache_hot_refresh_queries_total') ?? 0) >= n) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.quick ? 200 : 1000;
  const days = ctx.quick ? 3 : 30;
  const out: Record<string, { empty: Herd; restarted: Herd }> = {};
  for (const name of ['baseline', 'new'] as const) {
    const dir = join(ctx.scratchDir, name);
    const dataDir = await storeCopy(ctx, days, join(dir, 'data'));
    const opts = {
      dataDir,
      cacheDir: join(dir, 'cache'),
      demoDays: days,
      replaySeconds: 5,
      warm: false,
      env: { WARM: '1', MAX_SESSIONS: '5000', ...POLICIES[name] },
    };
    let server = await spawnServer(opts);
    let empty: Herd;
    try {
      empty = await herd(server.url, n, 1000);
      ctx.log(`boot-herd: ${name}: empty cache ${summary(empty)}`);
      // An interval passes and the hot refresh recomputes the tabs at it, so the restart finds them in LMDB.
      await refreshed(server.base, tabQuestions().length);
    } finally {
      await server.stop();
    }
    server = await spawnServer(opts);
    try {
      const restarted = await herd(server.url, n, 1000);
      ctx.log(`boot-herd: ${name}: restarted on LMDB ${summary(restarted)}`);
      out[name] = { empty, restarted };
    } finally {
      await server.stop();
    }
  }
  const label = `${n.toLocaleString('en')} sockets within 1 s, each asking its tab, ${days}-day demo`;
  const note = 'from connect to the tab’s result; baseline: HOT_REFRESH=every ADVANCE=0 APP_SLOTS=1, same run';
  return [
    {
      name: `boot herd p99, empty cache (${label})`,
      value: out.new.empty.p99,
      unit: 'ms',
      baseline: out.baseline.empty.p99,
      goal: '≤ 500 ms',
      note,
    },
    {
      name: `boot herd p99, restarted on the LMDB cache (${label})`,
      value: out.new.restarted.p99,
      unit: 'ms',
      baseline: out.baseline.restarted.p99,
      goal: '≤ 50 ms',
    },
    {
      name: `boot herd errors (${label})`,
      value: out.new.empty.errors + out.new.restarted.errors,
      unit: 'errors',
      baseline: out.baseline.empty.errors + out.baseline.restarted.errors,
      goal: '0',
    },
  ];
}
