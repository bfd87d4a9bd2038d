// Command-line options of `npm run soak`, validated once with errors that name the flag. Bounded in sockets and
// time so a typo cannot open a million sockets. Without --url the target is always loopback (127.0.0.1:$PORT).
import { cpus } from 'node:os';

export interface SoakOptions {
  sockets: number;
  durationS: number;
  rampS: number;
  seed: number;
  procs: number;
  thinkMs: number;
  /** Subscribe without push deltas (the soak's behaviour before it subscribed as the dashboard does). */
  fullPushes: boolean;
  url: string;
  json: string | undefined;
  /** Seconds to wait after the run for the server to report zero sessions. */
  settleS: number;
  spawn: { dataDir: string; cacheDir: string; demoDays: number; replaySeconds: number } | undefined;
  help: boolean;
}

const MAX_SOCKETS = 20_000;
const MAX_DURATION_S = 3600;

export const USAGE = `usage: npm run soak -- --sockets N --duration S [options]

  --sockets N          analysts (sockets) to open, 1–${MAX_SOCKETS} (default 100)
  --duration S         seconds from the first socket to the end, 1–${MAX_DURATION_S} (default 30)
  --ramp S             seconds over which sockets open (default: a quarter of the run, at most N/100 s)
  --seed K             seeds every analyst's script; same seed, same actions (default 1)
  --procs P            client processes sharing the sockets (default: 1 up to 200 sockets, else the core count)
  --think MS           mean pause between an analyst's actions (default 2000: a query every ~2 s)
  --full-pushes        subscribe without push deltas (every push the whole answer), unlike the dashboard
  --url URL            server socket (default ws://127.0.0.1:$PORT/ws, PORT defaulting to 5006: start it with npm start)
  --json FILE          also write the report as JSON
  --settle S           seconds to wait after the run for sessions to close (default 15)
  --spawn              start a child server on a free port instead (for CI), with:
    --data-dir D       its DATA_DIR (default ./tmp/soak-data; a demo is built there if empty)
    --cache-dir D      its CACHE_DIR (default ./tmp/soak-cache)
    --demo-days N      days of demo data for an empty data dir (default 7)
    --replay-seconds S seconds between live demo intervals, so pushes happen (default 60; 0 turns the feed off)`;

export class UsageError extends Error {}

const BOOLEAN = new Set(['spawn', 'help', 'full-pushes']);
const KNOWN = new Set([
  'sockets',
  'duration',
  'ramp',
  'seed',
  'procs',
  'think',
  'url',
  'json',
  'settle',
  'data-dir',
  'cache-dir',
  'demo-days',
  'replay-seconds',
  ...BOOLEAN,
]);

function readFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') {
      flags.set('help', '1');
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!KNOWN.has(name)) throw new UsageError(`unknown flag --${name}`);
    if (BOOLEAN.has(name)) {
      flags.set(name, '1');
      continue;
    }
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return flags;
}

function num(flags: Map<string, string>, name: string, def: number, min: number, max: number, integer = true): number {
  const raw = flags.get(name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max)
    throw new UsageError(
      `--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not "${raw}"`,
    );
  return n;
}

export function parseSoakArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SoakOptions {
  const f = readFlags(argv);
  const sockets = num(f, 'sockets', 100, 1, MAX_SOCKETS);
  const durationS = num(f, 'duration', 30, 1, MAX_DURATION_S, false);
  const rampS = num(f, 'ramp', Math.min(durationS / 4, Math.max(1, sockets / 100)), 0, MAX_DURATION_S, false);
  if (rampS >= durationS) throw new UsageError(`--ramp (${rampS} s) must be shorter than --duration (${durationS} s)`);
  const cores = cpus().length;
  const procs = num(f, 'procs', sockets <= 200 ? 1 : Math.min(cores, 8), 1, 64);
  const spawn = f.has('spawn');
  let url = f.get('url');
  if (url !== undefined && spawn) throw new UsageError('give either --url or --spawn, not both');
  if (url === undefined) {
    const port = env.PORT && /^\d+$/.test(env.PORT) ? env.PORT : '5006';
    url = `ws://127.0.0.1:${port}/ws`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
    throw new UsageError(`--url must start with ws:// or wss://, not "${url}"`);
  for (const name of ['data-dir', 'cache-dir', 'demo-days', 'replay-seconds'])
    if (f.has(name) && !spawn) throw new UsageError(`--${name} only applies with --spawn`);
  return {
    sockets,
    durationS,
    rampS,
    seed: num(f, 'seed', 1, 0, 2 ** 32 - 1),
    procs: Math.min(procs, sockets),
    thinkMs: num(f, 'think', 2000, 10, 600_000),
    fullPushes: f.has('full-pushes'),
    url,
    json: f.get('json'),
    settleS: num(f, 'settle', 15, 0, 600, false),
    spawn: spawn
      ? {
          dataDir: f.get('data-dir') ?? './tmp/soak-data',
          cacheDir: f.get('cache-dir') ?? './tmp/soak-cache',
          demoDays: num(f, 'demo-days', 7, 1, 3660),
          replaySeconds: num(f, 'replay-seconds', 60, 0, 86400),
        }
      : undefined,
    help: f.has('help'),
  };
}
