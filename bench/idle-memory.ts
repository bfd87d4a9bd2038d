// Server memory per idle session: RSS with no sockets and with 5,000 idle ones (goal ≤ 100 KB each), then waves of
// opening and closing 5,000 sockets, showing RSS and DuckDB's memory (nemlive_duckdb_memory_bytes) back near the
// fresh server's. The server hands V8's grown heap back ~12 s after the last socket closes (server/sessions.ts), so
// each "closed" figure is taken 15 s after the server reports no sessions; the figure 3 s after is shown beside it.
import { join } from 'node:path';
import { metricSum, parseMetrics, waitForIdle } from '../soak/server-probe.ts';
import { ROOT, spawnServer, type SpawnedServer } from '../soak/spawn-server.ts';
import { ask, forkReady, rssMBOf } from './proc.ts';
import type { BenchContext, BenchResult } from './types.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Memory {
  rssMB: number;
  /**
   * V8 heap in use and external (Buffer) memory, from prom-client's default metrics: what RSS holds outside them is
   * native (uWS, DuckDB, allocator).
   */
  heapUsedMB: number | null;
  /** V8 heap held (committed): what of RSS V8 has not given back. */
  heapTotalMB: number | null;
  externalMB: number | null;
  duckdbMB: number | null;
  sessions: number;
}

async function memory(server: SpawnedServer): Promise<Memory> {
  const [health, metrics] = await Promise.all([
    fetch(`${server.base}/healthz`).then((r) => r.json() as Promise<{ sessions: number }>),
    fetch(`${server.base}/metrics`)
      .then((r) => r.text())
      .catch(() => ''),
  ]);
  const m = parseMetrics(metrics);
  // duckdb_memory() as the server exports it, if it does (name varies while the server is young).
  const duck = metricSum(m, 'nemlive_duckdb_memory_bytes') ?? metricSum(m, 'nemlive_duckdb_memory_usage_bytes');
  const rss = rssMBOf(server.pid) ?? (metricSum(m, 'process_resident_memory_bytes') ?? NaN) / 2 ** 20;
  const mb = (x: number | null): number | null => (x === null ? null : x / 2 ** 20);
  return {
    rssMB: rss,
    heapUsedMB: mb(metricSum(m, 'nodejs_heap_size_used_bytes')),
    heapTotalMB: mb(metricSum(m, 'nodejs_heap_size_total_bytes')),
    externalMB: mb(metricSum(m, 'nodejs_external_memory_bytes')),
    duckdbMB: mb(duck),
    sessions: health.sessions,
  };
}

/** Memory 3 s after the server reports no sessions, and once it has handed memory back (15 s). */
async function settled(server: SpawnedServer): Promise<{ early: Memory; late: Memory }> {
  await waitForIdle(server.base, 30_000);
  await sleep(3000);
  const early = await memory(server);
  await sleep(SETTLE_MS - 3000);
  return { early, late: await memory(server) };
}
const SETTLE_MS = 15_000;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.quick ? 1000 : 5000;
  const waves = ctx.quick ? 2 : 5;
  const procs = 2;
  const server = await spawnServer({
    dataDir: ctx.dataDir,
    cacheDir: ctx.cacheDir,
    demoDays: ctx.demoDays,
    replaySeconds: 0,
    warm: false,
  });
  const clients = await Promise.all(Array.from({ length: procs }, () => forkReady(join(ROOT, 'bench/idle-client.ts'))));
  try {
    await sleep(2000);
    const base = (await settled(server)).late;
    ctx.log(
      `idle-memory: baseline (fresh server) RSS ${base.rssMB.toFixed(1)} MB, V8 heap used ${base.heapUsedMB?.toFixed(1) ?? '?'} of ${base.heapTotalMB?.toFixed(1) ?? '?'} MB, duckdb_memory ${base.duckdbMB?.toFixed(2) ?? '?'} MB`,
    );
    const trace: string[] = [];
    let withIdle: Memory | undefined;
    let afterFirst: Memory | undefined;
    let after = base;
    for (let w = 1; w <= waves; w++) {
      const opened = await Promise.all(
        clients.map((c) =>
          ask<{ opened: number; failed: number; firstError?: string }>(c, { url: server.url, open: n / procs }),
        ),
      );
      const failed = opened.reduce((s, o) => s + o.failed, 0);
      if (failed > 0)
        throw new Error(
          `idle-memory: ${failed} of ${n} sockets failed to open (${opened.find((o) => o.firstError)?.firstError})`,
        );
      await sleep(2000);
      const open = await memory(server);
      if (open.sessions < n)
        throw new Error(`idle-memory: the server reports ${open.sessions} sessions with ${n} sockets open`);
      withIdle ??= open;
      await Promise.all(clients.map((c) => ask(c, { close: true })));
      const { early, late } = await settled(server);
      after = late;
      afterFirst ??= after;
      trace.push(
        `wave ${w}: ${open.rssMB.toFixed(0)} → ${early.rssMB.toFixed(0)} → ${after.rssMB.toFixed(0)} MB (heap ${after.heapUsedMB?.toFixed(0) ?? '?'} MB)`,
      );
      ctx.log(
        `idle-memory: wave ${w}: ${n} open ${open.rssMB.toFixed(1)} MB, closed ${early.rssMB.toFixed(1)} MB after 3 s, ${after.rssMB.toFixed(1)} MB after ${SETTLE_MS / 1000} s ` +
          `(sessions ${after.sessions}, V8 heap used ${after.heapUsedMB?.toFixed(1) ?? '?'} of ${after.heapTotalMB?.toFixed(1) ?? '?'} MB, duckdb_memory ${after.duckdbMB?.toFixed(2) ?? '?'} MB)`,
      );
    }
    const perSessionKB = ((withIdle!.rssMB - base.rssMB) * 1024) / n;
    const r1 = (x: number): number => Math.round(x * 10) / 10;
    const out: BenchResult[] = [
      {
        name: `server RSS with ${n.toLocaleString('en')} idle sockets`,
        value: r1(withIdle!.rssMB),
        unit: 'MB',
        baseline: r1(base.rssMB),
        note: 'baseline = no sockets',
      },
      {
        name: 'server memory per idle session',
        value: r1(perSessionKB),
        unit: 'KB',
        goal: '≤ 100 KB',
        note: `(RSS with ${n} − RSS with 0) ÷ ${n}; each session holds its DuckDB connection`,
      },
      {
        name: `RSS after ${waves} waves of ${n.toLocaleString('en')} open/close`,
        value: r1(after.rssMB),
        unit: 'MB',
        baseline: r1(base.rssMB),
        ratio: Math.round((100 * after.rssMB) / base.rssMB) / 100,
        goal: '≤ 1.10× baseline',
        note: `baseline = fresh server; open → closed 3 s → closed ${SETTLE_MS / 1000} s: ${trace.join('; ')}`,
      },
      // A first wave grows allocators and V8's heap to their working size; later waves show whether it keeps growing.
      {
        name: `RSS after wave ${waves} vs after wave 1`,
        value: r1(after.rssMB),
        unit: 'MB',
        baseline: r1(afterFirst!.rssMB),
        ratio: Math.round((100 * after.rssMB) / afterFirst!.rssMB) / 100,
        goal: '≤ 1.10×',
        note: 'drift once allocators have grown',
      },
    ];
    if (base.heapUsedMB !== null && after.heapUsedMB !== null)
      out.push({
        name: `V8 heap used after ${waves} waves`,
        value: r1(after.heapUsedMB),
        unit: 'MB',
        baseline: r1(base.heapUsedMB),
        note: `external (Buffers) ${base.externalMB?.toFixed(1)} → ${after.externalMB?.toFixed(1)} MB; the rest of RSS is native (uWS, DuckDB, malloc)`,
      });
    if (base.duckdbMB !== null && after.duckdbMB !== null)
      out.push({
        name: `duckdb_memory() after ${waves} waves`,
        value: r1(after.duckdbMB),
        unit: 'MB',
        baseline: r1(base.duckdbMB),
        ratio: base.duckdbMB > 0 ? Math.round((100 * after.duckdbMB) / base.duckdbMB) / 100 : undefined,
        goal: '≤ 1.10× baseline',
      });
    else
      out.push({
        name: 'duckdb_memory() after waves',
        value: NaN,
        unit: 'MB',
        note: 'not measured: /metrics exports no nemlive_duckdb_memory_bytes',
      });
    if (after.sessions !== 0)
      out.push({ name: 'sessions left after waves', value: after.sessions, unit: 'sessions', goal: '0' });
    return out;
  } finally {
    for (const c of clients) c.kill();
    await server.stop();
  }
}
