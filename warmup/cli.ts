// `npm run warmup`: fills the LMDB cache under CACHE_DIR with every tab × region × range preset and the common
// kinds, computed from the store under DATA_DIR. A live progress line on a terminal, a summary line at the end.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { ConfigError, loadConfig } from '../server/config.ts';
import { LanePool } from '../server/lane.ts';
import { TieredCache } from '../server/cache/tiered.ts';
import { DB_FILE, openStore, StoreBusyError } from '../server/store/db.ts';
import type { WarmQuery } from '../server/warmup/list.ts';
import { runWarmup, type WarmupProgress, type WarmupSummary } from '../server/warmup/run.ts';
import { storeAnswerPath } from '../server/warmup/store-path.ts';

async function main(): Promise<number> {
  const config = loadConfig();
  const dbPath = join(config.dataDir, DB_FILE);
  if (!existsSync(dbPath)) {
    console.error(
      `warmup: no store at ${dbPath}; run \`npm start\` once (it builds the demo) or \`npm run ingest -- FILES\` first`,
    );
    return 1;
  }
  const { instance } = await openStore({
    dataDir: config.dataDir,
    readOnly: true,
    threads: config.threads,
    memoryLimit: config.memoryLimit,
  });
  const conn = await instance.connect();
  const lanes = new LanePool(instance, cpus().length);
  // This process serves nothing from memory: a small LRU is enough; LMDB is what warmup fills. The cache's own
  // warnings (a full disk, a damaged file rebuilt) go to stderr, a line each, beside the progress.
  const say = (detail: object, msg: string) => console.error(`warmup: ${msg} ${JSON.stringify(detail)}`);
  const cache = new TieredCache({
    lruBytes: Math.min(config.lruMb, 64) << 20,
    diskPath: config.cacheDir,
    diskBytes: config.lmdbMb * (1 << 20),
    log: { warn: say, info: say },
  });
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const show = progressDisplay(process.stderr);
  try {
    // Offline: a question per core at once, each on its own connection (the server's boot warmup keeps to its gate).
    const path = await storeAnswerPath(conn, cache, undefined, lanes);
    const summary = await runWarmup(path, { onProgress: show.update, signal: abort.signal, concurrency: lanes.width });
    show.done();
    console.log(summaryLine(summary, config.cacheDir, abort.signal.aborted));
    return summary.failed > 0 || abort.signal.aborted ? 1 : 0;
  } finally {
    await cache.close();
    await lanes.close();
    conn.closeSync();
    instance.closeSync();
  }
}

function summaryLine(s: WarmupSummary, cacheDir: string, interrupted = false): string {
  const mb = (s.bytes / (1 << 20)).toFixed(1);
  const parts = `${s.computed} computed, ${s.alreadyCached} already cached${s.failed ? `, ${s.failed} FAILED` : ''}`;
  return `warmup${interrupted ? ' (interrupted)' : ''}: ${s.queries} queries (${parts}) in ${s.seconds.toFixed(1)} s, ${mb} MB encoded, hit rate after ${(s.hitRateAfter * 100).toFixed(1)}% → ${cacheDir}`;
}

function describeQuery(q: WarmQuery): string {
  const p = q.params as Record<string, unknown>;
  const where = p.region ?? (Array.isArray(p.regions) && p.regions.length === 1 ? p.regions[0] : undefined) ?? '';
  return [q.kind, where, p.range ?? ''].filter(Boolean).join(' ');
}

/** One rewritten line on a terminal; otherwise a line per 10% (logs stay short) and every failure. */
function progressDisplay(out: NodeJS.WriteStream): { update: (p: WarmupProgress) => void; done: () => void } {
  const started = performance.now();
  let lastDecile = -1;
  const line = (p: WarmupProgress) =>
    `warmup ${String(p.done).padStart(String(p.total).length)}/${p.total} ${String(Math.floor((100 * p.done) / p.total)).padStart(3)}%  ${((performance.now() - started) / 1000).toFixed(1)} s  ${describeQuery(p.query)}`;
  return {
    update(p) {
      if (p.outcome === 'failed')
        out.write(
          `${out.isTTY ? '\r\x1b[K' : ''}warmup: ${describeQuery(p.query)} failed: ${(p.error as Error)?.message ?? p.error}\n`,
        );
      if (out.isTTY) out.write(`\r\x1b[K${line(p)}`);
      else if (Math.floor((10 * p.done) / p.total) !== lastDecile) {
        lastDecile = Math.floor((10 * p.done) / p.total);
        out.write(`${line(p)}\n`);
      }
    },
    done() {
      if (out.isTTY) out.write('\r\x1b[K');
    },
  };
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError || err instanceof StoreBusyError) console.error(`warmup: ${err.message}`);
    else console.error('warmup failed:', err);
    process.exit(1);
  },
);
