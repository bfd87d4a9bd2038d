// `npm run backfill -- --from 2025-01 --to 2025-12` (or `--days 14`): downloads from NEMWEB's archives what the store
// uses and ingests it (run.ts), with a progress line and a summary. Resumable: a re-run takes only what is missing.
// With no server running it writes into the store itself; when a server holds the store (DuckDB has one writing
// process), it sends each file through that server's admin ingest (into.ts), so answers go on being served. It says
// which. Exit 1 when a file failed (the rest are stored), 2 on a usage or config error.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { StoreBusyError, openStore } from '../store/db.ts';
import { ensureRegistry } from '../store/registry.ts';
import { intoServer, intoStore, serverOf, type Ingester } from './into.ts';
import { backfill, type Progress } from './run.ts';
import { monthsBetween } from './plan.ts';

const USAGE = `usage: npm run backfill -- (--from YYYY-MM --to YYYY-MM | --days N) [--data-dir DIR] [--dir DOWNLOADS]
                            [--keep] [--nemweb-url URL]
  --from/--to  whole months from MMSDM's monthly archive (a month not published there yet: the daily archive)
  --days N     the last N whole NEM days, from the daily archive (NEMWEB keeps about 13 months)
  --dir        where downloads and the record of finished files go (default DATA_DIR/backfill)
  --keep       keep the downloaded files after ingesting them`;

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const count = (n: number) => n.toLocaleString('en-AU');

function showProgress(p: Progress): void {
  const eta =
    p.etaS === null ? '' : ` · ETA ${p.etaS < 90 ? `${Math.round(p.etaS)} s` : `${Math.round(p.etaS / 60)} min`}`;
  const line = `backfill: ${p.done}/${p.total} files · ${mb(p.bytes)} · ${count(p.rows)} rows${eta} · ${p.file}`;
  if (process.stderr.isTTY)
    process.stderr.write(`\r${line.slice(0, process.stderr.columns - 1).padEnd(process.stderr.columns - 1)}`);
  else console.error(line);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      days: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  let months;
  let days: number | undefined;
  try {
    config = loadConfig(argv, process.env, { threads: cpus().length });
    if (values.from !== undefined || values.to !== undefined) {
      if (typeof values.from !== 'string' || typeof values.to !== 'string')
        throw new Error('give both --from and --to');
      months = monthsBetween(values.from, values.to);
    }
    if (values.days !== undefined) {
      days = Number(values.days);
      if (!Number.isInteger(days) || days < 1 || days > 400)
        throw new Error('--days must be a whole number from 1 to 400');
    }
    if (!months && !days) throw new Error('say what to fetch: --from and --to, or --days');
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const dir = typeof values.dir === 'string' ? values.dir : join(config.dataDir, 'backfill');
  let ingest: Ingester;
  let into: string;
  let close = () => {};
  try {
    const store = await openStore({
      dataDir: config.dataDir,
      threads: config.threads,
      memoryLimit: config.memoryLimit,
    });
    const conn = await store.instance.connect();
    close = () => {
      conn.closeSync();
      store.instance.closeSync();
    };
    await ensureRegistry(conn);
    ingest = intoStore(conn, dir);
    into = store.path;
    console.error(`backfill: no server holds ${store.path}: writing into it directly`);
  } catch (err) {
    if (!(err instanceof StoreBusyError)) throw err;
    const server = serverOf(config.dataDir);
    if (!server) {
      console.error(
        `${err.message}\nand that server offers no admin ingest (ADMIN_INGEST=0): stop it, backfill, start it again.`,
      );
      return 1;
    }
    ingest = intoServer(server);
    into = `the server at ${server.url}`;
    console.error(`backfill: a server holds the store: files go through its ingest at ${server.url}, answers go on`);
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  try {
    const s = await backfill({
      base: config.nemwebUrl.replace(/\/+$/, ''),
      months,
      days,
      dir,
      keep: values.keep === true,
      ingest,
      progress: showProgress,
      log: (line) => console.error(`${process.stderr.isTTY ? '\n' : ''}backfill: ${line}`),
      http: { signal: stop.signal },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(
      `backfill: ${s.ingested} files ingested, ${s.skipped} already done, ${s.failed.length} failed · ${mb(s.bytes)} · ${s.seconds.toFixed(1)} s, into ${into}`,
    );
    for (const [table, n] of Object.entries(s.rows)) console.log(`  ${table.padEnd(18)}${count(n).padStart(14)} rows`);
    for (const f of s.failed) console.log(`  FAILED ${f.file}: ${f.error}`);
    return s.failed.length ? 1 : 0;
  } finally {
    close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`backfill failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
