// A worker process (WORKERS > 1): the socket server (server/socket-server.ts) on the shared port (SO_REUSEPORT
// spreads connections over the workers) with its own sessions, pushes and LRU, reading the shared LMDB, answering
// through a RemoteAnswerer; no DuckDB. The supervisor sends the data state to start from and every new interval, and
// its alert events (held for replay, then each new one: this worker's `alerts` subscribers are served from a copy);
// cache misses go to it. Started by workers.ts with fork().
import { serverCache } from '../cache/tiered.ts';
import { loadConfig, type Config } from '../config.ts';
import { withStore, type Health } from '../health.ts';
import { openFilesLimit, sessionCap } from '../fd-limit.ts';
import { LanePool } from '../lane.ts';
import { Gate } from '../fair-gate.ts';
import { configLimits, DEFAULT_LIMITS, type Limits } from '../limits.ts';
import { createLogger, flushLogs, type Logger } from '../log.ts';
import { Market } from '../market.ts';
import { EventRing } from '../alerts/event-ring.ts';
import { bindSources, registry } from '../metrics.ts';
import { startSocketServer, type SocketServer } from '../socket-server.ts';
import type { StoreState } from '../store-health.ts';
import { sourceLags, type SourceMarks } from '../live/sources.ts';
import type { FromWorker, Marks, ToWorker, WorkerInit } from './messages.ts';
import { Asker, RemoteAnswerer } from './remote-answerer.ts';

/** How often this worker tells the supervisor its session count (for /healthz totals), when it changed. */
const LOAD_EVERY_MS = 250;
const EXIT_CRASHED = 70;
/** After draining: time for requests on connections accepted before the listen socket closed. */
const LINGER_MS = 500;

const send = (msg: FromWorker): boolean => {
  if (!process.connected) return false;
  try {
    return process.send!(msg);
  } catch {
    return false; // the channel closed between the check and the send: the supervisor is gone
  }
};

// Without the supervisor nobody answers misses or sends new intervals, and a restarted one starts its own
// workers: stop at once (the sockets drop; clients reconnect to the new ones).
process.on('disconnect', () => process.exit(0));

const asker = new Asker(send);
let log: Logger | undefined;
let handle: { server: SocketServer; market: Market; alerts: EventRing; close(): Promise<void> } | undefined;
let draining: Promise<void> | undefined;
const early: ToWorker[] = [];
let totals: { sessions: number; workers: number } | undefined;
let store: StoreState | undefined;
let sources: SourceMarks | undefined;
const metricsWaiters = new Map<number, (text: string) => void>();
let metricsId = 1;

process.on('uncaughtException', (err) => die(err));
process.on('unhandledRejection', (err) => die(err));
// A terminal's Ctrl-C or systemd's SIGTERM reach every process of the group: drain like on the supervisor's word.
process.on('SIGTERM', () => void drain());
process.on('SIGINT', () => void drain());

process.on('message', (raw) => {
  const msg = raw as ToWorker;
  if (msg.t === 'ping') send({ t: 'pong' });
  else if (msg.t === 'init') void start(msg);
  else if (!handle) early.push(msg);
  else onMessage(msg);
});

function onMessage(msg: ToWorker): void {
  switch (msg.t) {
    case 'advance':
      void advance(msg.seq, msg.watermark, msg.firstTs, msg.generation);
      break;
    case 'ahead':
      void ahead(msg.seq, { watermark: msg.watermark, firstTs: msg.firstTs, generation: msg.generation });
      break;
    case 'answer':
      asker.settle(msg);
      break;
    case 'collect':
      void registry.getMetricsAsJSON().then((json) => send({ t: 'collected', id: msg.id, json }));
      break;
    case 'metrics':
      metricsWaiters.get(msg.id)?.(msg.text);
      metricsWaiters.delete(msg.id);
      break;
    case 'totals':
      totals = { sessions: msg.sessions, workers: msg.workers };
      break;
    case 'store':
      store = msg.state;
      break;
    case 'sources':
      sources = msg.marks;
      break;
    case 'alerts':
      handle!.alerts.add(msg.events);
      break;
    case 'drain':
      void drain();
      break;
    default:
      break;
  }
}

async function start(init: WorkerInit): Promise<void> {
  const base = loadConfig();
  const filesLimit = openFilesLimit();
  const maxSessions = sessionCap(init.maxSessions, filesLimit);
  const config = Object.freeze({ ...base, port: init.port, maxSessions, lruMb: init.lruMb });
  log = createLogger(config.logLevel).child({ worker: init.seat });
  if (maxSessions < init.maxSessions) {
    const why =
      "this worker's share of MAX_SESSIONS is above what the open-files limit allows (raise ulimit -n / LimitNOFILE); admitting fewer";
    log.warn({ share: init.maxSessions, openFilesLimit: filesLimit, admitted: maxSessions }, why);
  }
  try {
    handle = await serve(config, init, log);
  } catch (err) {
    log.fatal({ err }, 'worker could not start');
    flushLogs(log);
    send({ t: 'failed', message: (err as Error).message });
    process.exit(1);
  }
  reportLoad();
  // Logged before telling the supervisor, so this line precedes anything the supervisor does next (a drain).
  log.info({ port: handle.server.port, watermark: handle.market.iso }, 'worker listening');
  send({ t: 'ready', port: handle.server.port });
  for (const msg of early.splice(0)) onMessage(msg);
}

/**
 * The socket server over this worker's answer path: a market following the supervisor's, its LRU share over the
 * shared LMDB, its own cold-query gate, and the supervisor behind them (RemoteAnswerer).
 */
async function serve(config: Readonly<Config>, init: WorkerInit, log: Logger): Promise<NonNullable<typeof handle>> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...configLimits(config) };
  const market = new Market(init.marks.watermark, init.marks.firstTs, init.marks.generation);
  const cache = serverCache(config, config.lruMb, log);
  const gate = new Gate(limits.maxColdQueries, limits.maxQueuedQueries, limits.maxSessionQueue);
  // Lanes without a DuckDB: a push's recomputation, like any miss, goes to the supervisor.
  const pool = new LanePool(undefined, limits.poolSize);
  const alerts = new EventRing(init.alerts.events, init.alerts.floor);
  const unbind = bindSources({
    coldQueries: () => ({ running: gate.running, queued: gate.queued }),
    cache: () => cache,
  });
  const server = await startSocketServer({
    config,
    limits,
    log,
    market,
    feed: init.feed,
    answerer: new RemoteAnswerer(market, cache, gate, asker.ask),
    pool,
    alerts,
    health: (local) => workerHealth(local, init, config.sourceLateS),
    metricsText: combinedMetrics,
    onEvicted: (session) => send({ t: 'gone', owner: session.id }),
  });
  return {
    server,
    market,
    alerts,
    close: async () => {
      await server.close();
      await pool.close();
      await cache.close();
      unbind();
      log.info('server stopped');
    },
  };
}

/** The supervisor's new marks: this worker's market follows, and its subscribers get what changed. */
function advance(seq: number, watermark: number, firstTs: number, generation: string): Promise<void> {
  return pushed(seq, async () => {
    handle!.market.advance(watermark, { firstTs, generation });
    await handle!.server.pusher.idle();
  });
}

/** The next interval, pushed to this worker's subscribers before the supervisor advances the market. */
function ahead(seq: number, at: Marks): Promise<void> {
  return pushed(seq, () => handle!.server.pusher.pushAhead(at));
}

/** Runs a push and tells the supervisor once its frames are in the sockets (the loop turn after the cycle). */
async function pushed(seq: number, push: () => Promise<void>): Promise<void> {
  await push();
  await new Promise((resolve) => setImmediate(resolve));
  send({ t: 'pushed', seq, groups: handle!.server.pusher.groupCount });
}

function workerHealth(local: Health, init: WorkerInit, sourceLateS: number): Health {
  const out: Health & { worker: { id: number; pid: number; sessions: number }; workers: number } = {
    ...local,
    sessions: totals?.sessions ?? local.sessions,
    worker: { id: init.seat, pid: process.pid, sessions: local.sessions },
    workers: totals?.workers ?? init.workers,
    ...(sources && { sources: sourceLags(sources, Date.now() / 1000, sourceLateS) }),
  };
  return withStore(store && !store.ok ? { ...out, store } : out, local.status === 'shutting_down');
}

/** Prometheus scrapes whichever worker the kernel picks: answer with every process's metrics combined. */
function combinedMetrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = metricsId++;
    const timer = setTimeout(() => {
      metricsWaiters.delete(id);
      reject(new Error('the supervisor did not answer'));
    }, 5000);
    metricsWaiters.set(id, (text) => {
      clearTimeout(timer);
      resolve(text);
    });
    if (!send({ t: 'metrics?', id })) {
      clearTimeout(timer);
      metricsWaiters.delete(id);
      reject(new Error('the supervisor is gone'));
    }
  });
}

function reportLoad(): void {
  let last = -1;
  setInterval(() => {
    const n = handle?.server.sessions.size ?? 0;
    if (n !== last) send({ t: 'load', sessions: n });
    last = n;
  }, LOAD_EVERY_MS).unref();
}

function drain(): Promise<void> {
  draining ??= (async () => {
    try {
      await handle?.close();
    } catch (err) {
      log?.error({ err }, 'worker: closing failed');
    }
    asker.failAll('worker stopped');
    // Connections accepted just before the listen socket closed still get their HTTP answer before the exit
    // would reset them (measured: without this, a rolling restart under steady polling reset one in a few).
    await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
    if (log) flushLogs(log);
    process.exit(0);
  })();
  return draining;
}

/** State after an uncaught exception is unknown: log it and exit; the supervisor starts a replacement. */
function die(err: unknown): void {
  try {
    log?.fatal({ err }, 'worker crashed; the supervisor replaces it');
    if (log) flushLogs(log);
    else process.stderr.write(`nem-live worker: ${(err as Error)?.stack ?? err}\n`);
  } finally {
    process.exit(EXIT_CRASHED);
  }
}
