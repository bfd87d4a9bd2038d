// `npm run bench [-- --json FILE] [--quick] [--only a,b] [--data-dir D]`: every benchmark module, in one run on one
// store, as a table (and JSON). A module that is not there yet is skipped with a note; one that fails is reported
// and the others still run; the exit code is 1 if any failed.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../soak/spawn-server.ts';
import { ensureBenchStore } from './data.ts';
import { formatMarkdown, formatTable } from './table.ts';
import type { BenchContext, BenchFn, BenchResult } from './types.ts';

/** In run order; `store: false` modules need no data (they run even if the store cannot be built). */
const MODULES = [
  { name: 'codec', store: false },
  { name: 'demo-build', store: false },
  { name: 'cold-queries', store: true },
  { name: 'cache', store: true },
  { name: 'roundtrip', store: true },
  { name: 'attack', store: true },
  { name: 'push', store: true },
  { name: 'push-cluster', store: true },
  // Each builds its own 30-day demo (tmp/bench-data-30d) and copies it per server.
  { name: 'fast-cadence', store: false },
  { name: 'boot-herd', store: false },
  // 1,000 analysts × 300 s on copies of the bench store and of a cache its boot warmup filled.
  { name: 'analysts', store: true },
  { name: 'alerts', store: false },
  { name: 'freshness', store: false },
  { name: 'backfill', store: true },
  { name: 'replicas', store: false },
  { name: 'idle-memory', store: true },
  { name: 'browser', store: true },
] as const;

const USAGE = `usage: npm run bench [-- --quick] [--json FILE] [--markdown FILE] [--only codec,roundtrip,…] [--data-dir D] [--days N]
  --quick      a small demo store and short runs: a fast check that everything works, not the numbers
  --json FILE  write {machine, results:[{name, value, unit, baseline?, ratio?, goal?, note?}], skipped}
  modules: ${MODULES.map((m) => m.name).join(', ')}`;

function args(argv: string[]): {
  quick: boolean;
  json?: string;
  markdown?: string;
  only?: string[];
  dataDir?: string;
  days?: number;
} {
  const out: ReturnType<typeof args> = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (!v) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--quick') out.quick = true;
    else if (flag === '--json') out.json = value();
    else if (flag === '--markdown') out.markdown = value();
    else if (flag === '--data-dir') out.dataDir = value();
    else if (flag === '--only')
      out.only = value()
        .split(',')
        .map((s) => s.trim());
    else if (flag === '--days') {
      out.days = Number(value());
      if (!Number.isInteger(out.days) || out.days < 1 || out.days > 3660)
        throw new Error('--days must be a whole number from 1 to 3660');
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  const unknown = out.only?.filter((n) => !MODULES.some((m) => m.name === n));
  if (unknown?.length) throw new Error(`--only: no benchmark named ${unknown.join(', ')}\n${USAGE}`);
  return out;
}

/** Finds the benchmark function of a module written by anyone: `run`, `bench` or the default export. */
function benchFnOf(mod: Record<string, unknown>): BenchFn | undefined {
  for (const key of ['run', 'bench', 'default']) if (typeof mod[key] === 'function') return mod[key] as BenchFn;
  return undefined;
}

function normalise(out: unknown, module: string): BenchResult[] {
  const list = Array.isArray(out)
    ? out
    : out && typeof out === 'object' && Array.isArray((out as { results?: unknown }).results)
      ? (out as { results: unknown[] }).results
      : out
        ? [out]
        : [];
  return list.map((r) => {
    const x = r as BenchResult;
    if (typeof x?.name !== 'string' || typeof x.value !== 'number' || typeof x.unit !== 'string')
      throw new Error(`${module} returned a result without name/value/unit: ${JSON.stringify(r).slice(0, 200)}`);
    return x;
  });
}

async function main(): Promise<number> {
  const a = args(process.argv.slice(2));
  const cores = cpus().length;
  const days = a.days ?? (a.quick ? 3 : 365);
  const dataDir = resolve(a.dataDir ?? join(ROOT, 'tmp', a.quick ? 'bench-data-quick' : 'bench-data'));
  const cacheDir = resolve(join(ROOT, 'tmp', a.quick ? 'bench-cache-quick' : 'bench-cache'));
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const machine = {
    cores,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  log(`bench: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}${a.quick ? ', --quick' : ''}`);

  const results: BenchResult[] = [];
  const skipped: { module: string; reason: string }[] = [];
  const failed: { module: string; error: string }[] = [];
  let storeDays: number | undefined;
  let storeError: string | undefined;
  for (const m of MODULES) {
    if (a.only && !a.only.includes(m.name)) continue;
    const file = join(ROOT, 'bench', `${m.name}.ts`);
    if (!existsSync(file)) {
      skipped.push({ module: m.name, reason: `bench/${m.name}.ts is not there yet` });
      log(`bench: skip ${m.name} (bench/${m.name}.ts is not there yet)`);
      continue;
    }
    if (m.store && storeDays === undefined && storeError === undefined) {
      try {
        storeDays = await ensureBenchStore(dataDir, days, log);
      } catch (err) {
        storeError = (err as Error).message;
      }
    }
    if (m.store && storeError !== undefined) {
      failed.push({ module: m.name, error: `no bench store: ${storeError}` });
      log(`bench: FAIL ${m.name}: no bench store: ${storeError.split('\n')[0]}`);
      continue;
    }
    const scratchDir = join(ROOT, 'tmp', 'bench-scratch', m.name);
    rmSync(scratchDir, { recursive: true, force: true });
    mkdirSync(scratchDir, { recursive: true });
    const ctx: BenchContext = {
      dataDir,
      cacheDir,
      demoDays: storeDays ?? days,
      quick: a.quick,
      cores,
      scratchDir,
      log,
    };
    const t0 = Date.now();
    try {
      const fn = benchFnOf((await import(pathToFileURL(file).href)) as Record<string, unknown>);
      if (!fn) throw new Error(`bench/${m.name}.ts exports no run(ctx) function`);
      const got = normalise(await fn(ctx), m.name);
      results.push(...got);
      log(`bench: ${m.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s (${got.length} results)`);
    } catch (err) {
      failed.push({ module: m.name, error: (err as Error).message });
      log(`bench: FAIL ${m.name}: ${(err as Error).stack ?? err}`);
    } finally {
      rmSync(scratchDir, { recursive: true, force: true });
    }
  }

  console.log(
    `\nNEM Live benchmarks: ${cores} cores (${machine.cpu}), Node ${machine.node}, ${storeDays ?? days}-day demo store${a.quick ? ' (--quick: not the reference numbers)' : ''}\n`,
  );
  console.log(formatTable(results));
  for (const s of skipped) console.log(`skipped ${s.module}: ${s.reason}`);
  for (const f of failed) console.log(`FAILED ${f.module}: ${f.error.split('\n')[0]}`);
  const report = {
    machine,
    date: new Date().toISOString(),
    quick: a.quick,
    demoDays: storeDays ?? days,
    results,
    skipped,
    failed,
  };
  for (const [file, text] of [
    [a.json, JSON.stringify(report, null, 2)],
    [a.markdown, formatMarkdown(results)],
  ] as const) {
    if (!file) continue;
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text + '\n');
  }
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(2);
  },
);
