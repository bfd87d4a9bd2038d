// One loader for every entry point (start, warmup, ingest): flags and their environment twins, validated once,
// returned frozen. A bad value stops start-up with one line naming the variable.
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { HOT_HORIZON_S, type HotPolicy } from './cache/hot.ts';
import { NEMWEB_URL, parseLive } from './live/setting.ts';
import { DEFAULT_FORECAST_DAYS, MAX_FORECAST_DAYS } from './store/forecasts.ts';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  cacheDir: string;
  demoDays: number;
  /** The demo's last interval when one is built: 'now' (the last whole interval before start; the live demo then
   * follows the wall clock) or a fixed interval end, epoch s (reproducible: same seed, same end, same bytes). */
  demoEnd: 'now' | number;
  warm: boolean;
  live: string;
  /** LIVE=nemweb: the site whose /Reports/Current/… folders are polled. */
  nemwebUrl: string;
  /** Days of forecast runs (P5MIN, pre-dispatch) kept: older runs are pruned as new ones are written. */
  forecastDays: number;
  /** LIVE=http/nemweb: seconds between listings of a folder not due by AEMO's rhythm (and of every other folder). */
  livePollS: number;
  /** /healthz says degraded when an AEMO source's newest interval is older than this, s (rooftop PV: +30 min). */
  sourceLateS: number;
  /** LIVE=demo: 0 follows the wall clock (a store built to 'now'); N > 0 replays one interval every N seconds. */
  replaySeconds: number;
  lruMb: number;
  lmdbMb: number;
  /** Which questions a new interval refreshes: `recent` (asked within the horizon) or `every` (the old baseline). */
  hotRefresh: HotPolicy;
  /** Wall-clock seconds a question stays worth refreshing after a client last asked it. */
  hotHorizonS: number;
  /** Seconds between writes of the asked questions to CACHE_DIR/hot.json besides the one at shutdown (0: only then). */
  hotSaveS: number;
  /** Advance cached answers by splicing in the new interval where that is exact (server/advance.ts); 0: recompute. */
  advance: boolean;
  logLevel: string;
  workers: number;
  threads: number;
  memoryLimit: string;
  maxSessions: number;
  maxPayloadBytes: number;
  authToken: string | undefined;
  /** POST /admin/ingest (server/admin-ingest.ts): on, its token (undefined: random, loopback only), largest file. */
  adminIngest: boolean;
  adminToken: string | undefined;
  adminMaxBytes: number;
  allowedOrigins: string[];
  /** Frames per second one session may send on average, and at once after a quiet spell (`rate_limited` beyond). */
  rateLimit: number;
  rateBurst: number;
  maxSubscriptions: number;
  /** Catalogue queries computed at once, and waiting beyond that (`overloaded` past both). Server-wide. */
  maxColdQueries: number;
  /** Slots app work (pushes, warmup, the hot refresh) may fill while no client's question runs or waits. */
  appSlots: number;
  maxQueuedQueries: number;
  /** Uncached questions one socket may have in progress (a tab counts once); its next gets `overloaded`. */
  maxSessionQueue: number;
  /** Seconds a silent socket lives before uWS pings, then closes it (0: never; else at least 8). */
  idleTimeoutS: number;
  /** SIGTERM: seconds to close sockets and finish queries before exiting 1 regardless. */
  shutdownTimeoutS: number;
  /** /healthz also on this port, through node:http (answers HTTP/1.0 checkers); 0: off. */
  healthPort: number;
}

type Parse<T> = (raw: string) => T;
interface Option<T> {
  env: string;
  flag: string;
  default: T;
  parse: Parse<T>;
  /** Printed as *** at boot. */
  secret?: boolean;
}

export class ConfigError extends Error {
  readonly code = 'bad_config';
}

const int =
  (min: number, max: number): Parse<number> =>
  (raw) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max)
      throw new Error(`must be a whole number from ${min} to ${max}`);
    return n;
  };
const bool: Parse<boolean> = (raw) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error('must be 1 or 0');
};
const text: Parse<string> = (raw) => {
  if (!raw.trim()) throw new Error('must not be empty');
  return raw.trim();
};
/** A folder that exists or can be created, and can be written (checked without creating anything). */
const folder: Parse<string> = (raw) => {
  const path = text(raw);
  const target = resolve(path);
  let at = target;
  let stat = statOrNone(at);
  while (!stat && dirname(at) !== at) stat = statOrNone((at = dirname(at)));
  const inTheWay = at === target ? '' : ` (${at} is in the way)`;
  if (!stat?.isDirectory())
    throw new Error(at === target ? 'must be a folder, not a file' : `cannot be created${inTheWay}`);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch {
    throw new Error(`must be a folder this user can write${at === target ? '' : ` (cannot write ${at})`}`);
  }
  return path;
};
/** Undefined when nothing is there, or a file stands where a folder on the way should be. */
function statOrNone(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw err;
  }
}
const memory: Parse<string> = (raw) => {
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(raw.trim())) throw new Error('must be a size such as 4GB');
  return raw.trim();
};

/**
 * DUCKDB_THREADS and MAX_COLD_QUERIES by default, chosen together so that DuckDB leaves the event loop a core. A query
 * runs on the thread that asked (libuv's pool) plus DuckDB's `threads − 1` shared workers, so with the gate full
 * DuckDB keeps `threads − 1 + maxColdQueries` threads busy; the default is the pair whose sum is `cores − 1` (half the
 * cores as query slots, the rest as threads). The old default (threads = cores, 2 slots) kept 3 threads busy on 2
 * cores, and under the cache-busting attack (bench/attack.ts) the event loop waited for one: the analysts' p99 was
 * 25, 70 and 121 ms against 15, 49 and 29 ms with 1 and 1, runs side by side on a quiet to a shared machine. On 2
 * cores: 1 thread, 1 slot; the cold kinds measured no slower (their scans are small; bench/cold-queries.ts).
 */
export function duckdbBudget(cores: number): { threads: number; maxColdQueries: number } {
  const maxColdQueries = Math.max(1, Math.floor(cores / 2));
  return { threads: Math.max(1, cores - maxColdQueries), maxColdQueries };
}
const BUDGET = duckdbBudget(cpus().length);

const DEMO_END_MIN = Date.UTC(2000, 0, 1) / 1000;
const DEMO_END_MAX = Date.UTC(2038, 0, 1) / 1000;
const OPTIONS: { [K in keyof Config]: Option<Config[K]> } = {
  port: { env: 'PORT', flag: 'port', default: 5006, parse: int(0, 65535) },
  host: { env: 'HOST', flag: 'host', default: '127.0.0.1', parse: text },
  dataDir: { env: 'DATA_DIR', flag: 'data-dir', default: './data', parse: text },
  cacheDir: { env: 'CACHE_DIR', flag: 'cache-dir', default: './cache', parse: folder },
  demoDays: { env: 'DEMO_DAYS', flag: 'demo-days', default: 365, parse: int(1, 3660) },
  demoEnd: {
    env: 'DEMO_END',
    flag: 'demo-end',
    default: 'now',
    parse: (raw) => {
      if (raw === 'now') return 'now';
      const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw) / 1000;
      if (!Number.isFinite(t) || !/^\d+$|[zZ]$|[+-]\d\d:?\d\d$/.test(raw))
        throw new Error('must be now, epoch seconds, or an ISO-8601 time with its offset (2026-11-01T00:00+10:00)');
      // The store's times are INTEGER (32-bit) epoch seconds, with room for a day's buckets; from/to start at 2000.
      if (t < DEMO_END_MIN || t >= DEMO_END_MAX) throw new Error('must be from 2000-01-01 to 2037-12-31');
      return Math.floor(t / 300) * 300;
    },
  },
  warm: { env: 'WARM', flag: 'warm', default: true, parse: bool },
  live: {
    env: 'LIVE',
    flag: 'live',
    default: 'demo',
    parse: (raw) => {
      const value = raw
        .split(',')
        .map((s) => s.trim())
        .join(',');
      parseLive(value);
      return value;
    },
  },
  nemwebUrl: {
    env: 'NEMWEB_URL',
    flag: 'nemweb-url',
    default: NEMWEB_URL,
    parse: (raw) => {
      if (!/^https?:\/\/\S+$/.test(raw)) throw new Error('must be an http(s):// URL');
      return raw;
    },
  },
  forecastDays: {
    env: 'FORECAST_DAYS',
    flag: 'forecast-days',
    default: DEFAULT_FORECAST_DAYS,
    parse: int(1, MAX_FORECAST_DAYS),
  },
  livePollS: { env: 'LIVE_POLL_S', flag: 'live-poll', default: 30, parse: int(1, 3600) },
  sourceLateS: { env: 'SOURCE_LATE_S', flag: 'source-late', default: 900, parse: int(60, 86400 * 7) },
  replaySeconds: { env: 'REPLAY_SECONDS', flag: 'replay-seconds', default: 0, parse: int(0, 86400) },
  lruMb: { env: 'LRU_MB', flag: 'lru-mb', default: 256, parse: int(1, 65536) },
  lmdbMb: { env: 'LMDB_MB', flag: 'lmdb-mb', default: 1024, parse: int(8, 1048576) },
  hotRefresh: {
    env: 'HOT_REFRESH',
    flag: 'hot-refresh',
    default: 'recent',
    parse: (raw): HotPolicy => {
      if (raw !== 'recent' && raw !== 'every') throw new Error('must be recent or every');
      return raw;
    },
  },
  hotHorizonS: { env: 'HOT_HORIZON_S', flag: 'hot-horizon', default: HOT_HORIZON_S, parse: int(0, 86400) },
  hotSaveS: { env: 'HOT_SAVE_S', flag: 'hot-save', default: 60, parse: int(0, 86400) },
  advance: { env: 'ADVANCE', flag: 'advance', default: true, parse: bool },
  logLevel: {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    default: 'info',
    parse: (raw) => {
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw))
        throw new Error('must be fatal, error, warn, info, debug, trace or silent');
      return raw;
    },
  },
  workers: { env: 'WORKERS', flag: 'workers', default: 1, parse: int(1, 64) },
  threads: { env: 'DUCKDB_THREADS', flag: 'threads', default: BUDGET.threads, parse: int(1, 256) },
  memoryLimit: { env: 'DUCKDB_MEMORY', flag: 'memory-limit', default: '4GB', parse: memory },
  maxSessions: { env: 'MAX_SESSIONS', flag: 'max-sessions', default: 20000, parse: int(1, 1_000_000) },
  maxPayloadBytes: {
    env: 'MAX_PAYLOAD_BYTES',
    flag: 'max-payload-bytes',
    default: 64 * 1024,
    parse: int(256, 16 * 1024 * 1024),
  },
  authToken: { env: 'AUTH_TOKEN', flag: 'auth-token', default: undefined, parse: text, secret: true },
  adminIngest: { env: 'ADMIN_INGEST', flag: 'admin-ingest', default: true, parse: bool },
  adminToken: { env: 'ADMIN_TOKEN', flag: 'admin-token', default: undefined, parse: text, secret: true },
  adminMaxBytes: {
    env: 'ADMIN_MAX_BYTES',
    flag: 'admin-max-bytes',
    default: 2 * 1024 ** 3,
    parse: int(1024, 4 * 1024 ** 3),
  },
  allowedOrigins: {
    env: 'ALLOWED_ORIGINS',
    flag: 'allowed-origins',
    default: [],
    parse: (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
  },
  rateLimit: { env: 'RATE_LIMIT', flag: 'rate-limit', default: 200, parse: int(1, 1_000_000) },
  rateBurst: { env: 'RATE_BURST', flag: 'rate-burst', default: 400, parse: int(1, 1_000_000) },
  maxSubscriptions: { env: 'MAX_SUBSCRIPTIONS', flag: 'max-subscriptions', default: 64, parse: int(1, 10_000) },
  maxColdQueries: {
    env: 'MAX_COLD_QUERIES',
    flag: 'max-cold-queries',
    default: BUDGET.maxColdQueries,
    parse: int(1, 256),
  },
  appSlots: { env: 'APP_SLOTS', flag: 'app-slots', default: 1, parse: int(1, 256) },
  maxQueuedQueries: { env: 'MAX_QUEUED_QUERIES', flag: 'max-queued-queries', default: 2000, parse: int(0, 1_000_000) },
  maxSessionQueue: { env: 'MAX_SESSION_QUEUE', flag: 'max-session-queue', default: 64, parse: int(1, 1_000_000) },
  idleTimeoutS: {
    env: 'IDLE_TIMEOUT_S',
    flag: 'idle-timeout',
    default: 32,
    parse: (raw) => {
      // uWS aborts the process on other values.
      const n = int(0, 960)(raw);
      if (n !== 0 && n < 8) throw new Error('must be 0 (off) or from 8 to 960 seconds');
      return n;
    },
  },
  shutdownTimeoutS: { env: 'SHUTDOWN_TIMEOUT_S', flag: 'shutdown-timeout', default: 15, parse: int(1, 3600) },
  healthPort: { env: 'HEALTH_PORT', flag: 'health-port', default: 0, parse: int(0, 65535) },
};

/**
 * Flags win over environment variables; `--no-warm` and `--warm` are the boolean flag forms. `defaults` replaces
 * the server's defaults for a tool whose needs differ (offline ingest uses every core).
 */
export function loadConfig(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  defaults: Partial<Config> = {},
): Readonly<Config> {
  const flags = parseFlags(argv);
  const out: Record<string, unknown> = {};
  for (const [key, opt] of Object.entries(OPTIONS) as [keyof Config, Option<unknown>][]) {
    const fromFlag = flags.get(opt.flag);
    const raw = fromFlag ?? env[opt.env];
    if (raw === undefined || raw === '') {
      out[key] = Object.hasOwn(defaults, key) ? defaults[key] : opt.default;
      continue;
    }
    try {
      out[key] = opt.parse(raw);
    } catch (err) {
      const source = fromFlag !== undefined ? `--${opt.flag}` : opt.env;
      throw new ConfigError(`${source}=${opt.secret ? '***' : JSON.stringify(raw)} ${(err as Error).message}`);
    }
  }
  const config = out as unknown as Config;
  assertCombination(config, flags);
  return Object.freeze(config);
}

/** Settings that are fine alone but not together. */
function assertCombination(c: Config, flags: Map<string, string>): void {
  const name = (key: keyof Config) => (flags.has(OPTIONS[key].flag) ? `--${OPTIONS[key].flag}` : OPTIONS[key].env);
  if (c.maxSessions < c.workers) {
    throw new ConfigError(
      `${name('maxSessions')}=${c.maxSessions} must be at least ${name('workers')}=${c.workers} (each worker admits its share of the sessions)`,
    );
  }
}

/** The flags this loader knows; anything else on the command line is left for the caller (e.g. ingest paths). */
function parseFlags(argv: readonly string[]): Map<string, string> {
  const known = new Set(Object.values(OPTIONS).map((o) => o.flag));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) continue;
    let [name, value] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (name.startsWith('no-') && known.has(name.slice(3)) && value === undefined) {
      flags.set(name.slice(3), '0');
      continue;
    }
    if (!known.has(name)) continue;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) value = argv[++i];
      else value = OPTIONS[keyOfFlag(name)].default === true || OPTIONS[keyOfFlag(name)].default === false ? '1' : '';
    }
    flags.set(name, value);
  }
  return flags;
}

function keyOfFlag(flag: string): keyof Config {
  return (Object.keys(OPTIONS) as (keyof Config)[]).find((k) => OPTIONS[k].flag === flag)!;
}

/** Command-line words that are not flags this loader consumes (paths for ingest, a kind for sub). */
export function positionalArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  const known = new Set(Object.values(OPTIONS).map((o) => o.flag));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const name = arg.slice(2).split('=')[0];
      const isBool = known.has(name) && typeof OPTIONS[keyOfFlag(name)].default === 'boolean';
      if (
        known.has(name) &&
        !arg.includes('=') &&
        !isBool &&
        argv[i + 1] !== undefined &&
        !argv[i + 1].startsWith('--')
      )
        i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** The config as logged at boot: secrets masked. */
export function redacted(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const [key, opt] of Object.entries(OPTIONS)) if (opt.secret && out[key] !== undefined) out[key] = '***';
  return out;
}
