// Command line of `npm run sub`: a kind, its parameters as flags (checked against the kind's schema), and where to
// connect. Pure, so the CLI's parsing is tested without a socket.
import { parseArgs } from 'node:util';
import { isKind, KIND_NAMES, KINDS, validateParams, type Kind, type ParamSpec } from '../../shared/kinds.ts';
import { WS_PATH } from '../../shared/protocol.ts';

export const USAGE = `usage: npm run sub -- KIND [--region R] [--range 24h|7d|30d|90d|1y|all] [--from T --to T]
                   [--resolution 5m|30m|1d|auto] [--param name=value ...] [--url ws://host:port/ws] [--count N]
  Prints one JSON line per result and push until interrupted (or after N lines with --count); alerts prints one
  line per event: --param rules=SA1:price.above:1000,NEM:notice.lor:2 (REGION:condition[:threshold], comma-separated).
  Lists are comma-separated (--param regions=NSW1,SA1); --region also fills a kind's "regions" list.
  Times are epoch seconds or ISO-8601. Without --url: ws://$HOST:$PORT${WS_PATH} (127.0.0.1:5006).
  kinds: ${KIND_NAMES.join(' ')}`;

export class UsageError extends Error {}

export interface SubArgs {
  kind: Kind;
  params: Record<string, unknown>;
  url: string;
  /** Exit after this many updates (results and pushes); undefined: run until interrupted. */
  count: number | undefined;
}

const PARAM_FLAGS = [
  'region',
  'regions',
  'range',
  'resolution',
  'from',
  'to',
  'duid',
  'station',
  'q',
  'fuels',
  'limit',
] as const;

export function parseSubArgs(argv: string[], env: Record<string, string | undefined> = {}): SubArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...Object.fromEntries(PARAM_FLAGS.map((f) => [f, { type: 'string' as const }])),
        param: { type: 'string', multiple: true },
        url: { type: 'string' },
        count: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new UsageError('');
  if (positionals.length !== 1)
    throw new UsageError(positionals.length ? `one kind only, got ${positionals.join(' ')}` : 'which kind?');
  const kind = positionals[0];
  if (!isKind(kind)) throw new UsageError(`unknown kind "${kind}"`);
  const schema: Record<string, ParamSpec> = KINDS[kind];

  const raw: [string, string][] = [];
  for (const f of PARAM_FLAGS) {
    const v = (values as Record<string, unknown>)[f] as string | undefined;
    if (v === undefined) continue;
    // --region on a kind that takes a list of regions means that list.
    raw.push([f === 'region' && !('region' in schema) && 'regions' in schema ? 'regions' : f, v]);
  }
  for (const p of (values.param as string[] | undefined) ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param wants name=value, got "${p}"`);
    raw.push([p.slice(0, eq), p.slice(eq + 1)]);
  }
  const params: Record<string, unknown> = {};
  for (const [name, value] of raw) {
    const spec = schema[name];
    if (!spec)
      throw new UsageError(`${kind} has no parameter "${name}"; it takes ${Object.keys(schema).join(', ') || 'none'}`);
    params[name] = coerce(name, spec, value);
  }
  const checked = validateParams(kind, params);
  if (!checked.ok) throw new UsageError(checked.message);

  let count: number | undefined;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!Number.isInteger(count) || count < 1) throw new UsageError('--count must be a whole number ≥ 1');
  }
  const url = (values.url as string | undefined) ?? `ws://${env.HOST || '127.0.0.1'}:${env.PORT || '5006'}${WS_PATH}`;
  if (!/^wss?:\/\/\S+$/.test(url)) throw new UsageError(`--url must be ws://… or wss://…, got "${url}"`);
  return { kind, params, url, count };
}

function coerce(name: string, spec: ParamSpec, value: string): unknown {
  switch (spec.type) {
    case 'enumList':
      return value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'int':
      return Number(value);
    case 'epoch': {
      if (/^\d+$/.test(value)) return Number(value);
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) throw new UsageError(`${name} must be epoch seconds or an ISO-8601 time, got "${value}"`);
      return Math.round(ms / 1000);
    }
    default:
      return value;
  }
}
