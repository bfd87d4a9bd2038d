// The one interface every benchmark module implements, so `npm run bench` can compose modules written by different
// people: export `run(ctx)` (or a default function) returning BenchResult[] (or `{ results }`).

export interface BenchResult {
  /** Short, stable, e.g. "cached round trip p99 (1,000 analysts)". */
  name: string;
  value: number;
  /** e.g. "ms", "queries/s", "KB", "MB", "s", "×". */
  unit: string;
  /** The same measure for the baseline, measured in the same run. */
  baseline?: number;
  /** value ÷ baseline, or whichever way round makes "higher is better"; say which in `note`. */
  ratio?: number;
  /** The CONTRACT §6 goal, as text (e.g. "≤ 50 ms"). */
  goal?: string;
  note?: string;
}

export interface BenchContext {
  /** A DATA_DIR holding the benchmark store (the one-year demo, or a small one with --quick), already built. */
  dataDir: string;
  /** A CACHE_DIR for servers the benchmarks start; modules may empty it for cold measurements. */
  cacheDir: string;
  /** Days of demo data in dataDir. */
  demoDays: number;
  /** A fast, smaller check instead of the full run. */
  quick: boolean;
  cores: number;
  /** A scratch directory of the module's own (created, emptied before the module runs). */
  scratchDir: string;
  /** Progress for humans, on stderr. */
  log: (message: string) => void;
}

export type BenchFn = (ctx: BenchContext) => Promise<BenchResult[] | { results: BenchResult[] }>;
