// Builds and starts everything from a Config: the store, the cache, the answer path, pushes, and the uWS app
// (/ws, /healthz, /metrics, the client bundle). Returns a handle; close() is the graceful shutdown.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBInstance } from '@duckdb/node-api';
import { KIND_NAMES, TAB_KINDS } from '../shared/kinds.ts';
import { encode, PROTOCOL_VERSION, WS_PATH, type HelloFrame } from '../shared/protocol.ts';
import type { AnswerPath } from './answer-path.ts';
import { bootWarmup } from './warmup/boot.ts';
import type { WarmupSummary } from './warmup/run.ts';
import { Answerer } from './answer.ts';
import { bearerToken, tokenMatches } from './auth.ts';
import { serverCache, TieredCache } from './cache/tiered.ts';
import type { Config } from './config.ts';
import { health, healthHandler, metricsHandler, type Health } from './health.ts';
import { listenHealth } from './health-port.ts';
import { reply, StaticFiles, WS_VERSION } from './http.ts';
import { ConnLane, LanePool } from './lane.ts';
import { Gate } from './limiter.ts';
import { configLimits, DEFAULT_LIMITS, type Limits } from './limits.ts';
import { createLogger, type Logger } from './log.ts';
import { startLive, type LiveHandle } from './live/pipeline.ts';
import { wantsDemo, type FeedOptions } from './live/feed.ts';
import { Market } from './market.ts';
import { bindSources, DuckMemoryProbe, metrics } from './metrics.ts';
import { Pusher } from './pusher.ts';
import { Router } from './router.ts';
import { Session, type SocketData } from './session.ts';
import { DEFAULT_RECLAIM, Sessions, type ReclaimOptions } from './sessions.ts';
import { readWatermark } from './store/db.ts';
import { ensureStore } from './store/ensure-store.ts';
import { readGeneration } from './store/version.ts';
import { storeHealth } from './store-health.ts';
import { listen } from './listener.ts';
import { loadUws, type WebSocket } from './uws.ts';

/** For a cluster worker (server/cluster/worker.ts): the supervisor process owns the store; this one has no DuckDB. */
export interface RemoteStore {
  /** The supervisor's watermark, first interval and key generation when this worker started. */
  marks: { watermark: number; firstTs: number; generation: string };
  /** Answers what the cache cannot, through the supervisor. */
  answerer(market: Market, cache: TieredCache | undefined, gate: Gate): Answerer;
}

export interface AppOptions {
  log?: Logger;
  /** The built client (default: client/dist in this repo). */
  staticDir?: string;
  limits?: Partial<Limits>;
  /** false: no cache, every answer from DuckDB. Default: LRU + LMDB under CACHE_DIR, closed with the app. */
  cache?: TieredCache | false;
  /** Live-feed driver tuning (poll intervals), for tests and benchmarks. */
  live?: Pick<FeedOptions, 'watch' | 'http'>;
  /** Run as a cluster worker: no store, no live feed, no warmup here (server/cluster/). */
  remote?: RemoteStore;
  /** Extends /healthz (a cluster worker adds its id and the cluster's totals). */
  health?: (local: Health) => Health;
  /** The /metrics text (a cluster worker answers with every process's metrics combined). */
  metricsText?: () => Promise<string>;
  /** When to hand memory back to the OS after many sockets went (server/sessions.ts). */
  reclaim?: Partial<Omit<ReclaimOptions, 'onReclaim'>>;
}

export interface AppHandle {
  port: number;
  /** http://host:port */
  url: string;
  wsUrl: string;
  market: Market;
  sessions: Sessions;
  /** The store (throws in a cluster worker, which has none). */
  instance: DuckDBInstance;
  cache: TieredCache | undefined;
  /** The server's answer path for warmup and hot refresh (undefined without a cache). */
  answerPath: AnswerPath | undefined;
  /** Set once the boot warmup has finished (it runs after listening, in the background). */
  warmup: WarmupSummary | undefined;
  /** The boot warmup: resolves with its summary (undefined when WARM=0, without a cache, or interrupted by close). */
  warmed: Promise<WarmupSummary | undefined>;
  pusher: Pusher;
  /** The live feed LIVE selected, running (undefined for LIVE=off). */
  live: LiveHandle | undefined;
  /** Recomputes every subscribed question at the current watermark and pushes what changed. */
  pushUpdate(): Promise<void>;
  health(): Health;
  /** Stops accepting, closes sockets with 1001, interrupts queries, closes connections, cache and DuckDB. */
  close(): Promise<void>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLOSE_GOING_AWAY = 1001;
const CLOSE_TRY_AGAIN = 1013;
/** Shutdown waits this long for sessions' queries to stop before closing DuckDB regardless. */
const DRAIN_MS = 10_000;

export async function startApp(config: Readonly<Config>, opts: AppOptions = {}): Promise<AppHandle> {
  const log = opts.log ?? createLogger(config.logLevel);
  const limits: Limits = { ...DEFAULT_LIMITS, ...configLimits(config), ...opts.limits };
  // uWS aborts the whole process (std::terminate) on these; refuse them with an error instead.
  if (limits.idleTimeoutS !== 0 && !(limits.idleTimeoutS >= 8))
    throw new RangeError(`idleTimeoutS must be 0 (off) or at least 8, got ${limits.idleTimeoutS}`);
  const uws = loadUws();

  // Opens DATA_DIR's store, building the demo into an empty one unless a real feed fills it (not in a cluster worker).
  const instance = opts.remote
    ? undefined
    : (await ensureStore(config, { info: (msg) => log.info(msg) }, { demo: wantsDemo(config.live) })).instance;
  const pool = new LanePool(instance, limits.poolSize);
  // Its own connection, so a scrape never queues behind a push recomputation on the pool.
  const probeLane = instance && new ConnLane(instance);
  const duckMemory = probeLane && new DuckMemoryProbe(probeLane);
  const marks = opts.remote ? opts.remote.marks : await pool.withConn(readWatermark);
  if (!marks)
    log.warn({ dataDir: config.dataDir }, 'the store holds no prices yet: answers are empty until data arrives');
  const generation = opts.remote ? opts.remote.marks.generation : await pool.withConn(readGeneration);
  const market = new Market(marks?.watermark, marks?.firstTs, generation);

  const ownCache = opts.cache === undefined;
  const cache = opts.cache === false ? undefined : (opts.cache ?? serverCache(config, config.lruMb, log));
  const gate = new Gate(limits.maxColdQueries, limits.maxQueuedQueries, limits.maxSessionQueue);
  const answerer = opts.remote?.answerer(market, cache, gate) ?? new Answerer(market, cache, gate);
  const answerPath = answerer.path(pool);

  const app = uws.App();
  const sessions = new Sessions({
    ...DEFAULT_RECLAIM,
    ...opts.reclaim,
    onReclaim: (r) => {
      log.info(
        { ms: Math.round(r.ms), heapMB: [r.heldBefore, r.heldAfter].map((b) => Math.round(b / 2 ** 20)) },
        'sockets gone: full collection so V8 returns their memory',
      );
      // Setting DuckDB's memory_limit (to the same value) flushes its allocators: jemalloc's, and glibc's
      // malloc_trim, which returns the free pages that closed sockets and connections left inside malloc's arenas.
      probeLane
        ?.withConn((c) => c.run(`SET memory_limit = '${config.memoryLimit}'`))
        .catch((err: unknown) => log.warn({ err }, 'allocator flush failed'));
    },
  });
  const pusher = new Pusher({
    market,
    answerer,
    pool,
    behindBytes: limits.behindBytes,
    log,
  });
  const maxFrameBytes = config.maxPayloadBytes;
  const rate = { perSecond: limits.ratePerSecond, burst: limits.rateBurst };
  const router = new Router({ answerer, pusher, rate, maxFrameBytes, maxSubscriptions: limits.maxSubscriptions });
  let closing = false;

  app.ws<SocketData>(WS_PATH, {
    // Frames between MAX_PAYLOAD_BYTES and twice that get a `too_large` frame before the close; beyond, uWS cuts.
    maxPayloadLength: maxFrameBytes * 2,
    maxBackpressure: limits.maxBackpressure,
    closeOnBackpressureLimit: 1,
    idleTimeout: limits.idleTimeoutS,
    sendPingsAutomatically: true,
    compression: uws.DISABLED,
    upgrade: (res, req, context) => {
      // req is valid only in this synchronous call: read everything first.
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const origin = req.getHeader('origin');
      const auth = req.getHeader('authorization');
      const token = new URLSearchParams(req.getQuery() ?? '').get('token');
      const version = req.getHeader('sec-websocket-version');
      const refuse = (status: string, reason: string, headers: Record<string, string> = {}) => {
        metrics.sessionsRejected.inc({ reason });
        reply(res, { aborted: false }, { status, headers: { 'Content-Type': 'text/plain', ...headers }, body: reason });
      };
      if (closing) return refuse('503 Service Unavailable', 'shutting down');
      if (version !== WS_VERSION)
        return refuse('426 Upgrade Required', `websocket version ${WS_VERSION} only`, {
          'Sec-WebSocket-Version': WS_VERSION,
        });
      if (origin && config.allowedOrigins.length > 0 && !config.allowedOrigins.includes(origin))
        return refuse('403 Forbidden', 'origin not allowed');
      if (!tokenMatches(config.authToken, bearerToken(auth)) && !tokenMatches(config.authToken, token))
        return refuse('401 Unauthorized', 'token required');
      res.upgrade<SocketData>({ id: randomBytes(9).toString('base64url') }, key, protocol, extensions, context);
    },
    open: (ws) => openSession(ws),
    message: (ws, message, isBinary) => {
      const session = sessions.get(ws.getUserData().id);
      if (session) router.onMessage(session, new Uint8Array(message), isBinary);
    },
    drain: (ws) => {
      const session = sessions.get(ws.getUserData().id);
      if (session) pusher.drained(session);
    },
    close: (ws, code) => {
      const session = sessions.get(ws.getUserData().id);
      if (!session) return;
      sessions.delete(session);
      session.log.debug({ code, seconds: (Date.now() - session.openedAt) / 1000, view: session.view }, 'socket closed');
      pusher.dropSession(session);
      void session.close();
    },
  });

  function openSession(ws: WebSocket<SocketData>): void {
    const { id } = ws.getUserData();
    if (closing || sessions.size >= config.maxSessions) {
      metrics.sessionsRejected.inc({ reason: closing ? 'shutting down' : 'session cap' });
      const message = closing
        ? 'the server is shutting down; reconnect shortly'
        : `the server is at its cap of ${config.maxSessions} sessions; try again shortly`;
      ws.cork(() => {
        ws.send(encode({ t: 'error', code: 'overloaded', message }), true);
        ws.end(closing ? CLOSE_GOING_AWAY : CLOSE_TRY_AGAIN, 'overloaded');
      });
      return;
    }
    const lane = new ConnLane(instance, {
      opened: () => sessions.connectionOpened(),
      released: () => sessions.connectionReleased(),
    });
    const session = new Session(id, ws, log.child({ session: id }), lane, rate);
    sessions.add(session);
    if (session.log.isLevelEnabled('debug'))
      session.log.debug({ remote: Buffer.from(ws.getRemoteAddressAsText()).toString() }, 'socket opened');
    const hello: HelloFrame = {
      t: 'hello',
      v: PROTOCOL_VERSION,
      session: id,
      watermark: market.iso,
      kinds: KIND_NAMES,
      tabs: TAB_KINDS,
    };
    session.send(encode(hello));
  }

  const statics = new StaticFiles(opts.staticDir ?? join(ROOT, 'client', 'dist'), log);
  const readHealth = () => {
    const local = health(sessions, market, closing, duckMemory?.last, instance && storeHealth(instance).state);
    return opts.health ? opts.health(local) : local;
  };
  app.get('/healthz', healthHandler(readHealth));
  app.head('/healthz', healthHandler(readHealth)); // load balancers' checks often use HEAD
  app.get('/metrics', metricsHandler(config.authToken, opts.metricsText));
  app.any('/*', statics.handle);

  // Paused while the process is out of file descriptors (server/listener.ts).
  const listener = await listen(uws, app, config.host, config.port, log);
  const port = listener.port;
  // A cluster worker leaves it to the supervisor (one process per port).
  const healthPort =
    config.healthPort && !opts.remote ? await listenHealth(config.host, config.healthPort, readHealth, log) : undefined;
  const unbind = bindSources({
    sessions: () => sessions.size,
    duckdbConnections: () => sessions.connections,
    subscriptions: () => pusher.count,
    coldQueries: () => ({ running: gate.running, queued: gate.queued }),
    cache: () => cache,
    duckdbMemory: async () => duckMemory?.read(),
  });
  void duckMemory?.read(); // so the first /healthz has a figure
  const stopListening = market.onAdvance(() => {
    pusher.pushUpdate().catch((err: unknown) => log.error({ err }, 'push cycle failed'));
  });
  // Warmup runs after listening, so sockets are answered meanwhile (each query yields to them).
  let warmup: WarmupSummary | undefined;
  const stopWarmup = new AbortController();
  const warmed: Promise<WarmupSummary | undefined> =
    config.warm && answerPath && marks && !opts.remote
      ? bootWarmup(answerPath, stopWarmup.signal, log).then((summary) => (warmup = summary))
      : Promise.resolve(undefined);
  let live: LiveHandle | undefined;
  if (instance) {
    try {
      live = await startLive(instance, config, { market, pusher, answerPath, log, ...opts.live });
    } catch (err) {
      log.error({ err, live: config.live }, 'live feed did not start; serving the stored data without updates');
    }
  }
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      stopWarmup.abort();
      await live?.stop();
      stopListening();
      listener.close();
      for (const session of [...sessions.values()]) session.end(CLOSE_GOING_AWAY, 'server shutting down');
      await pusher.idle();
      await warmed;
      const drained = await Promise.race([sessions.drained().then(() => true), delay(DRAIN_MS).then(() => false)]);
      if (!drained)
        log.warn(
          { sessions: sessions.size, connections: sessions.connections },
          'shutdown: queries still running; closing DuckDB anyway',
        );
      sessions.stop();
      await Promise.all([pool.close(), probeLane?.close()]);
      if (ownCache) await cache?.close();
      else await cache?.flush();
      instance?.closeSync();
      await healthPort?.close(); // last: a load balancer sees 503 shutting_down while sockets drain
      unbind();
      log.info('server stopped');
    })());

  return {
    port,
    url,
    wsUrl: `ws://${hostForUrl}:${port}${WS_PATH}`,
    market,
    sessions,
    get instance(): DuckDBInstance {
      if (!instance) throw new Error('a cluster worker has no DuckDB instance: the supervisor owns the store');
      return instance;
    },
    cache,
    answerPath,
    get warmup() {
      return warmup;
    },
    warmed,
    pusher,
    live,
    pushUpdate: () => pusher.pushUpdate(),
    health: readHealth,
    close,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
