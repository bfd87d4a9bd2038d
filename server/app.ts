// One process serving everything: the core (store, cache, answer path, live feed, warmup: server/core.ts) and the
// socket server over it (server/socket-server.ts), plus HEALTH_PORT. Returns a handle; close() is the graceful
// shutdown. (With WORKERS > 1 the same parts compose differently: server/cluster/.)
import type { DuckDBInstance } from '@duckdb/node-api';
import { adminIngest } from './admin-ingest.ts';
import type { AnswerPath } from './answer-path.ts';
import type { WarmupSummary } from './warmup/run.ts';
import type { TieredCache } from './cache/tiered.ts';
import type { Config } from './config.ts';
import { openCore, type CoreOptions } from './core.ts';
import type { Health } from './health.ts';
import { listenHealth } from './health-port.ts';
import { configLimits, DEFAULT_LIMITS, type Limits } from './limits.ts';
import type { LiveHandle } from './live/pipeline.ts';
import { createLogger, type Logger } from './log.ts';
import type { Market } from './market.ts';
import type { Pusher } from './pusher.ts';
import type { AlertHub } from './alerts/hub.ts';
import type { AlertLog } from './alerts/alert-log.ts';
import type { Sessions } from './sessions.ts';
import { startSocketServer, type SocketServerOptions } from './socket-server.ts';

export interface AppOptions
  extends Pick<CoreOptions, 'cache' | 'live'>, Pick<SocketServerOptions, 'staticDir' | 'reclaim'> {
  log?: Logger;
  limits?: Partial<Limits>;
}

export interface AppHandle {
  port: number;
  /** http://host:port */
  url: string;
  wsUrl: string;
  market: Market;
  sessions: Sessions;
  instance: DuckDBInstance;
  cache: TieredCache | undefined;
  /** The server's answer path for warmup and hot refresh (undefined without a cache). */
  answerPath: AnswerPath | undefined;
  /** Set once the boot warmup has finished (it runs after listening, in the background). */
  warmup: WarmupSummary | undefined;
  /** The boot warmup: resolves with its summary (undefined when WARM=0, without a cache, or interrupted by close). */
  warmed: Promise<WarmupSummary | undefined>;
  pusher: Pusher;
  /** `alerts` subscriptions, and the events they are sent. */
  alerts: AlertHub;
  alertLog: AlertLog;
  /** The live feed LIVE selected, running (undefined for LIVE=off). */
  live: LiveHandle | undefined;
  /** Recomputes every subscribed question at the current watermark and pushes what changed. */
  pushUpdate(): Promise<void>;
  health(): Health;
  /** Stops accepting, closes sockets with 1001, interrupts queries, closes connections, cache and DuckDB. */
  close(): Promise<void>;
}

export async function startApp(config: Readonly<Config>, opts: AppOptions = {}): Promise<AppHandle> {
  const log = opts.log ?? createLogger(config.logLevel);
  const limits: Limits = { ...DEFAULT_LIMITS, ...configLimits(config), ...opts.limits };
  const core = await openCore(config, { log, limits, cache: opts.cache, live: opts.live });
  const admin = config.adminIngest
    ? adminIngest({
        dataDir: config.dataDir,
        token: config.adminToken,
        maxBytes: config.adminMaxBytes,
        log,
        ingest: (path, name) => core.ingestUpload(path, name),
      })
    : undefined;
  const server = await startSocketServer({
    config,
    limits,
    log,
    market: core.market,
    feed: core.feed,
    answerer: core.answerer,
    pool: core.pool,
    instance: core.instance,
    staticDir: opts.staticDir,
    reclaim: opts.reclaim,
    onReclaim: core.flushAllocator,
    storeHealth: core.health,
    admin: admin?.handle,
    alerts: core.alerts,
  }).catch(async (err: unknown) => {
    await core.close(); // the store is open already: a server that refused its limits or port must not keep it
    throw err;
  });
  const healthPort = config.healthPort
    ? await listenHealth(config.host, config.healthPort, server.health, log)
    : undefined;
  await core.start(server.pusher);
  admin?.announce(server.url);

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      server.stopAccepting();
      await core.stopFeeds();
      await server.closeSockets();
      await core.warmed;
      await server.drain();
      await core.close();
      admin?.close();
      await healthPort?.close(); // last: a load balancer sees 503 shutting_down while sockets drain
      log.info('server stopped');
    })());

  return {
    port: server.port,
    url: server.url,
    wsUrl: server.wsUrl,
    market: core.market,
    sessions: server.sessions,
    instance: core.instance,
    cache: core.cache,
    answerPath: core.answerPath,
    get warmup() {
      return core.warmup;
    },
    // Set by core.start() above, so this is the boot warmup's promise.
    warmed: core.warmed,
    pusher: server.pusher,
    alerts: server.alerts,
    alertLog: core.alerts,
    live: core.live,
    pushUpdate: () => server.pusher.pushUpdate(),
    health: server.health,
    close,
  };
}
