// Backfill throughput (#15): months of MMSDM at real volume (bench/nemweb/month.ts: DISPATCH_UNIT_SCADA for every
// registry DUID, ~4.9 M rows a month, and DISPATCHPRICE and DISPATCHREGIONSUM from the real samples), served by the
// NEMWEB-like site on loopback, backfilled (server/backfill/run.ts) two ways:
// - the server stopped: a whole year straight into an empty store by the bulk path (DuckDB's CSV reader; --quick: one
//   month at 40 DUIDs), and (not with --quick) its first month by the row parser alone as the baseline; rows/s and the
//   year's time (rolled up once at its end, as a real backfill does);
// - the server serving a copy of the bench store under a soak (soak/run.ts): its first month through its admin
//   ingest, with the soak's p99 while the backfill runs and for AFTER_S after it (the server tells the market about
//   the backfill once the files stop coming, and the answers the revision retired are asked again then) against the
//   same soak without one, before it, in the same run.
// Figures are wall-clock on whatever else the machine runs meanwhile.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../server/store/db.ts';
import { ingestFiles } from '../server/store/ingest.ts';
import { ensureRegistry } from '../server/store/registry.ts';
import { intoServer, intoStore, serverOf, type Ingester } from '../server/backfill/into.ts';
import { type Month, monthId, monthlyFolder } from '../server/backfill/plan.ts';
import { backfill, type BackfillSummary } from '../server/backfill/run.ts';
import { runSoak } from '../soak/run.ts';
import { spawnServer } from '../soak/spawn-server.ts';
import { REGISTRY_SAMPLE, registryDuids, scadaMonth, stretchedMonth } from './nemweb/month.ts';
import { nemwebSite, type NemwebSite } from './nemweb/site.ts';
import type { BenchContext, BenchResult } from './types.ts';

/** Before the bench store's demo year, so the backfill adds history under it (a revision, as a real one is). */
const YEAR = Array.from({ length: 12 }, (_, i): Month => ({ year: 2025, month: i + 1 }));
const MONTH = YEAR[0];
/** The soak goes on this long after the backfill: past the admin ingest's quiet period (5 s) and the revision. */
const AFTER_S = 15;
const r1 = (x: number) => Math.round(x * 10) / 10;
const pct = (x: number) => `${r1(100 * x)}%`;
const total = (s: BackfillSummary) => Object.values(s.rows).reduce((a, b) => a + b, 0);

/** Months into an empty store (registry loaded) with no server; `bulkMinBytes` Infinity: the row parser only. */
async function stopped(ctx: BenchContext, site: NemwebSite, name: string, months: Month[], bulkMinBytes?: number) {
  const dataDir = join(ctx.scratchDir, name);
  const { instance } = await openStore({ dataDir });
  const conn = await instance.connect();
  try {
    await ensureRegistry(conn);
    await ingestFiles(conn, [REGISTRY_SAMPLE]);
    const dir = join(dataDir, 'backfill');
    const direct = intoStore(conn, dir);
    const ingest: Ingester =
      bulkMinBytes === undefined
        ? direct
        : async (path) => {
            const r = await ingestFiles(conn, [path], undefined, { bulkMinBytes, scratchDir: dir });
            if (r.rejected) throw new Error(r.files[0].error);
            return r.rows;
          };
    const s = await backfill({ base: site.base, months, dir, ingest });
    if (s.failed.length) throw new Error(`${name}: ${s.failed.map((f) => f.error).join('; ')}`);
    return s;
  } finally {
    conn.closeSync();
    instance.closeSync();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const duids = registryDuids().slice(0, ctx.quick ? 40 : undefined);
  const months = ctx.quick ? [MONTH] : YEAR;
  ctx.log(`backfill: making ${months.length} month(s) from ${monthId(MONTH)} at volume (${duids.length} DUIDs)…`);
  const site = await nemwebSite();
  for (const m of months)
    site.feeds.set(monthlyFolder('', m).slice(1, -1), [
      scadaMonth(m, duids),
      stretchedMonth('DISPATCHPRICE', m),
      stretchedMonth('DISPATCHREGIONSUM', m),
    ]);
  const results: BenchResult[] = [];
  try {
    ctx.log(`backfill: server stopped, bulk path, ${months.length} month(s)…`);
    const bulk = await stopped(ctx, site, 'stopped-bulk', months);
    const rows = total(bulk);
    ctx.log(`backfill: ${rows} rows in ${r1(bulk.seconds)} s`);
    let row: BackfillSummary | undefined;
    if (!ctx.quick) {
      ctx.log('backfill: server stopped, row parser only (the baseline), the first month…');
      row = await stopped(ctx, site, 'stopped-rows', [MONTH], Infinity);
      ctx.log(`backfill: row parser ${r1(row.seconds)} s`);
    }
    const rate = (s: BackfillSummary) => Math.round(total(s) / s.seconds);
    results.push({
      name: 'backfill, server stopped: rows/s (SCADA + prices + regional sums)',
      value: rate(bulk),
      unit: 'rows/s',
      ...(row && { baseline: rate(row), ratio: r1(rate(bulk) / rate(row)) }),
      note: `${rows.toLocaleString('en-AU')} rows in ${months.length} month(s), ${r1(bulk.seconds)} s (download, ingest, rollups); baseline: the row parser alone, one month`,
    });
    results.push({
      name: 'backfill, server stopped: a year',
      value: r1((bulk.seconds * 12) / months.length),
      unit: 's',
      ...(row && { baseline: r1(row.seconds * 12), ratio: r1((row.seconds * months.length) / bulk.seconds) }),
      goal: '≤ 60 s',
      note: ctx.quick
        ? `--quick: one month × 12, ${duids.length} DUIDs, not a real volume`
        : 'measured: twelve months backfilled in one run; baseline: twelve times the row parser’s month',
    });

    ctx.log('backfill: serving a copy of the bench store under a soak…');
    const dataDir = join(ctx.scratchDir, 'serving');
    cpSync(ctx.dataDir, dataDir, { recursive: true });
    const server = await spawnServer({
      dataDir,
      cacheDir: join(ctx.scratchDir, 'serving-cache'),
      demoDays: ctx.demoDays,
      replaySeconds: 0,
      warm: true,
      readyTimeoutMs: 300_000,
    });
    try {
      const soak = { url: server.url, sockets: ctx.quick ? 50 : 200, rampS: 2, seed: 1, procs: 1, thinkMs: 1000 };
      const soakS = ctx.quick ? 10 : 30;
      // The boot warmup fills the tabs; the soak's other questions (stations, searches) are asked first here, so the
      // two measured soaks start from the same cache and the figure is the backfill's, not the first asks'.
      const first = await runSoak({ ...soak, durationS: soakS, settleS: 5 });
      ctx.log(`backfill: first soak (fills the cache) p99 ${first.latencyMs.p99} ms, hits ${pct(first.cacheHitRate)}`);
      const base = await runSoak({ ...soak, durationS: soakS, settleS: 5 });
      ctx.log(`backfill: soak alone p99 ${base.latencyMs.p99} ms, hits ${pct(base.cacheHitRate)}`);
      const stop = new AbortController();
      const during = runSoak({ ...soak, durationS: 900, settleS: 5, signal: stop.signal });
      let served: BackfillSummary;
      try {
        await new Promise((resolve) => setTimeout(resolve, soak.rampS * 1000));
        const into = serverOf(dataDir);
        if (!into) throw new Error('the server wrote no admin.json');
        served = await backfill({
          base: site.base,
          months: [MONTH],
          dir: join(dataDir, 'backfill'),
          ingest: intoServer(into),
        });
        await new Promise((resolve) => setTimeout(resolve, AFTER_S * 1000));
      } finally {
        stop.abort();
      }
      const loaded = await during;
      if (served.failed.length) throw new Error(`served: ${served.failed.map((f) => f.error).join('; ')}`);
      ctx.log(
        `backfill: through the server ${r1(served.seconds)} s; soak meanwhile p99 ${loaded.latencyMs.p99} ms, hits ${pct(loaded.cacheHitRate)}`,
      );
      results.push({
        name: 'backfill, server serving a soak: rows/s (through its admin ingest)',
        value: rate(served),
        unit: 'rows/s',
        note: `${r1(served.seconds)} s for the month, ${soak.sockets} soak analysts meanwhile`,
      });
      results.push({
        name: `soak p99 while a backfill runs (${soak.sockets} analysts)`,
        value: loaded.latencyMs.p99,
        unit: 'ms',
        baseline: base.latencyMs.p99,
        goal: '≤ 50 ms',
        note: `during the backfill and ${AFTER_S} s after; baseline: the same soak without a backfill, ${soakS} s before it; ${loaded.requests} requests during`,
      });
    } finally {
      await server.stop();
    }
  } finally {
    await site.close();
  }
  return results;
}
