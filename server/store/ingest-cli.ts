// `npm run ingest -- PATH...`: imports AEMO files and folders into the store under DATA_DIR, printing rows per
// table per file and a total. A store with no unit registry first gets the shipped one, as `npm start` gives it, so
// SCADA is named and counted under its fuel whatever files are passed. Exit 1 if any file was rejected (the good ones
// are still imported) or the store is held by another process; 2 on a usage or config error.
import { cpus } from 'node:os';
import { relative } from 'node:path';
import { ConfigError, loadConfig, positionalArgs } from '../config.ts';
import { toNemIso } from '../../shared/nem.ts';
import { StoreBusyError, openStore } from './db.ts';
import { rows } from './ingest-file.ts';
import { type FileReport, type Window, ingestFiles } from './ingest.ts';
import { ensureRegistry, SEED_REGISTRY } from './registry.ts';

const USAGE = `usage: npm run ingest -- [--data-dir DIR] PATH...
  PATH: AEMO MMS files (.csv/.CSV, .zip as published on NEMWEB, zips of zips) or folders of them,
        or the Registration and Exemption List exported as CSV (replaces the DUID registry; a store
        without one gets the shipped copy, ${relative(process.cwd(), SEED_REGISTRY)}).
  e.g.  npm run ingest -- test/fixtures/aemo`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    // Offline: every core unless DUCKDB_THREADS or --threads says otherwise (the server leaves one to its event loop).
    config = loadConfig(argv, process.env, { threads: cpus().length });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const paths = positionalArgs(argv);
  if (paths.length === 0) {
    console.error(USAGE);
    return 2;
  }
  let store;
  try {
    store = await openStore({
      dataDir: config.dataDir,
      threads: config.threads,
      memoryLimit: config.memoryLimit,
    });
  } catch (err) {
    if (err instanceof StoreBusyError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const conn = await store.instance.connect();
  try {
    const seeded = await ensureRegistry(conn);
    if (seeded)
      console.log(
        `registry: ${seeded.units} units from ${relative(process.cwd(), SEED_REGISTRY)} (AEMO's, shipped), as this store had none`,
      );
    const report = await ingestFiles(conn, paths, printFile, { forecastDays: config.forecastDays });
    const files = report.files.length;
    console.log(
      `total: ${files} file${files === 1 ? '' : 's'}, ${report.rejected} rejected, ${(report.ms / 1000).toFixed(2)} s, into ${store.path}`,
    );
    for (const [table, n] of Object.entries(report.rows))
      console.log(`  ${table.padEnd(16)}${fmt(n).padStart(12)} ${n === 1 ? 'row' : 'rows'}`);
    if (report.window) console.log(`  intervals ending ${span(report.window)}`);
    return report.rejected > 0 ? 1 : 0;
  } finally {
    conn.closeSync();
    store.instance.closeSync();
  }
}

function printFile(r: FileReport): void {
  if (r.error) {
    console.error(`REJECTED ${r.error}`);
    return;
  }
  const window = r.window ? `  ${span(r.window)}` : '';
  console.log(`${r.file}  (${(r.ms / 1000).toFixed(2)} s)${window}`);
  for (const [table, n] of Object.entries(r.rows))
    console.log(`  ${table.padEnd(16)}${fmt(n).padStart(12)} ${n === 1 ? 'row' : 'rows'}`);
  const skipped = Object.entries(r.skipped);
  if (skipped.length) console.log(`  skipped tables: ${skipped.map(([t, n]) => `${t} (${rows(n, fmt)})`).join(', ')}`);
  for (const note of r.notes) console.log(`  note: ${note}`);
  if (!Object.keys(r.rows).length && !skipped.length) console.log('  no rows');
}

const fmt = (n: number) => n.toLocaleString('en-AU');
const span = (w: Window) =>
  `${toNemIso(w.minTs).slice(0, 16).replace('T', ' ')} .. ${toNemIso(w.maxTs).slice(0, 16).replace('T', ' ')} NEM time`;

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`ingest failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
