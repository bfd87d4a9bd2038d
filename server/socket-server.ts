// The uWS app: /ws (upgrade checks, one Session per socket, frames to the router, pushes from the pusher), /healthz,
// /metrics and the client bundle, on a listener that pauses while file descriptors run out. It answers through
// whatever Answerer it is given (the core's, or a cluster worker's RemoteAnswerer) and knows no store of its own.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBInstance } from '@duckdb/node-api';
import { KIND_NAMES, TAB_KINDS } from '../shared/kinds.ts';
import { encode, PROTOCOL_VERSION, WS_PATH, type FeedInfo, type HelloFrame } from '../shared/protocol.ts';
import type { Answerer } from './answer.ts';
import { bearerToken, tokenMatches } from './auth.ts';
import type { Config } from './config.ts';
import { health, healthHandler, metricsHandler, type Health } from './health.ts';
import { reply, StaticFiles, WS_VERSION } from './http.ts';
import type { ConnHolder } from './conn-holder.ts';
import { ConnLane } from './lane.ts';
import type { Limits } from './limits.ts';
import { listen } from './listener.ts';
import type { Logger } from './log.ts';
import type { Market } from './market.ts';
import { bindSources, metrics } from './metrics.ts';
import { Pusher } from './pusher.ts';
import { AlertHub } from './alerts/hub.ts';
import type { AlertSource } from './alerts/event-ring.ts';
import { Router } from './router.ts';
import { Session, type SocketData } from './session.ts';
import { DEFAULT_RECLAIM, Sessions, type ReclaimOptions } from './sessions.ts';
import type { StoreState } from './store-health.ts';
import type { SourceLag } from './live/sources.ts';
import { loadUws, type HttpRequest, type HttpResponse, type WebSocket } from './uws.ts';

export interface SocketServerOptions {
  config: Readonly<Config>;
  limits: Limits;
  log: Logger;
  market: Market;
  /** Told to every client in its hello (default: no feed). */
  feed?: FeedInfo;
  answerer: Answerer;
  /** Connections for recomputing pushes (the core's pool; a cluster worker's holds none). */
  pool: ConnHolder;
  /** Each session's own DuckDB connection comes from it; none in a cluster worker (the supervisor answers). */
  instance?: DuckDBInstance;
  /** The built client (default: client/dist in this repo). */
  staticDir?: string;
  /** When to hand memory back to the OS after many sockets went (server/sessions.ts). */
  reclaim?: Partial<Omit<ReclaimOptions, 'onReclaim'>>;
  /** After that collection: the store's allocators may hand memory back too. */
  onReclaim?: () => void;
  /** The store's side of /healthz (absent in a cluster worker). */
  storeHealth?: () => { duckdbMemoryBytes: number | undefined; store: StoreState; sources?: Record<string, SourceLag> };
  /** Extends /healthz (a cluster worker adds its id and the cluster's totals). */
  health?: (local: Health) => Health;
  /** The /metrics text (a cluster worker answers with every process's metrics combined). */
  metricsText?: () => Promise<string>;
  /** POST /admin/ingest (server/admin-ingest.ts); absent: no such route. */
  admin?: (res: HttpResponse, req: HttpRequest) => void;
  /** After a socket's eviction (a cluster worker tells the supervisor, which drops the socket's waiting questions). */
  onEvicted?: (session: Session) => void;
  /** The alert events, for `alerts` subscriptions (a cluster worker's: a copy of the supervisor's). */
  alerts: AlertSource;
}

export interface SocketServer {
  port: number;
  /** http://host:port */
  url: string;
  wsUrl: string;
  sessions: Sessions;
  pusher: Pusher;
  /** `alerts` subscriptions. */
  alerts: AlertHub;
  health(): Health;
  /** Refuses new sockets from now on (503, or an `overloaded` close) and /healthz says shutting_down. */
  stopAccepting(): void;
  /** stopAccepting, stops listening, closes every socket with 1001 and waits for the push run in progress. */
  closeSockets(): Promise<void>;
  /** Waits (at most DRAIN_MS) for the sessions' queries to stop and their connections to close. */
  drain(): Promise<void>;
  /** closeSockets, then drain. */
  close(): Promise<void>;
}

const CLIENT_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'client', 'dist');
const CLOSE_GOING_AWAY = 1001;
const CLOSE_TRY_AGAIN = 1013;
/** Shutdown waits this long for sessions' queries to stop before closing DuckDB regardless. */
const DRAIN_MS = 10_000;

export async function startSocketServer(o: SocketServerOptions): Promise<SocketServer> {
  const { config, limits, log, market, answerer } = o;
  // uWS aborts the whole process (std::terminate) on these; refuse them with an error instead.
  if (limits.idleTimeoutS !== 0 && !(limits.idleTimeoutS >= 8))
    throw new RangeError(`idleTimeoutS must be 0 (off) or at least 8, got ${limits.idleTimeoutS}`);
  const uws = loadUws();
  const app = uws.App();
  const sessions = new Sessions({
    ...DEFAULT_RECLAIM,
    ...o.reclaim,
    onReclaim: (r) => {
      log.info(
        { ms: Math.round(r.ms), heapMB: [r.heldBefore, r.heldAfter].map((b) => Math.round(b / 2 ** 20)) },
        'sockets gone: full collection so V8 returns their memory',
      );
      o.onReclaim?.();
    },
  });
  const pusher = new Pusher({ market, answerer, pool: o.pool, behindBytes: limits.behindBytes, log });
  const maxFrameBytes = config.maxPayloadBytes;
  const rate = { perSecond: limits.ratePerSecond, burst: limits.rateBurst };
  const alerts = new AlertHub(o.alerts, market, limits.behindBytes, rate, log);
  const router = new Router({
    answerer,
    pusher,
    rate,
    maxFrameBytes,
    maxSubscriptions: limits.maxSubscriptions,
    alerts,
  });
  let closing = false;

  /**
   * The one way out for a socket. Whatever ends it (the client, the idle timeout, a send past the backpressure cap, a
   * frame too large, shutdown's 1001), uWS calls the close handler, and that calls this: the session leaves the open
   * ones, its subscriptions leave the pusher's groups, and its DuckDB connection is closed (a running query
   * interrupted). Nothing else ends a session, so nothing else needs to know what a socket holds.
   */
  const evict = (session: Session, code: number): void => {
    sessions.delete(session);
    session.log.debug({ code, seconds: (Date.now() - session.openedAt) / 1000, view: session.view }, 'socket closed');
    pusher.dropSession(session);
    alerts.dropSession(session);
    void session.close();
    o.onEvicted?.(session);
  };

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
      if (session) {
        pusher.drained(session);
        alerts.drained(session);
      }
    },
    close: (ws, code) => {
      const session = sessions.get(ws.getUserData().id);
      if (session) evict(session, code);
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
    const lane = new ConnLane(o.instance, {
      opened: () => sessions.connectionOpened(),
      released: () => sessions.connectionReleased(),
      recycle: true,
    });
    const session = new Session(id, ws, log.child({ session: id }), lane, rate);
    sessions.add(session);
    if (session.log.isLevelEnabled('debug'))
      session.log.debug({ remote: Buffer.from(ws.getRemoteAddressAsText()).toString() }, 'socket opened');
    const hello: HelloFrame = {
      t: 'hello',
      v: PROTOCOL_VERSION,
      session: id,
      feed: o.feed ?? { source: 'off' },
      watermark: market.iso,
      kinds: KIND_NAMES,
      tabs: TAB_KINDS,
    };
    session.send(encode(hello));
  }

  const statics = new StaticFiles(o.staticDir ?? CLIENT_DIST, log);
  const readHealth = () => {
    const store = o.storeHealth?.();
    const local = health(sessions, market, closing, store?.duckdbMemoryBytes, store?.store, store?.sources);
    return o.health ? o.health(local) : local;
  };
  app.get('/healthz', healthHandler(readHealth));
  app.head('/healthz', healthHandler(readHealth)); // load balancers' checks often use HEAD
  app.get('/metrics', metricsHandler(config.authToken, o.metricsText));
  if (o.admin) app.post('/admin/ingest', o.admin);
  app.any('/*', statics.handle);

  // Paused while the process is out of file descriptors (server/listener.ts).
  const listener = await listen(uws, app, config.host, config.port, log);
  const unbind = bindSources({
    sessions: () => sessions.size,
    duckdbConnections: () => sessions.connections,
    subscriptions: () => pusher.count,
  });
  const stopListening = market.onAdvance(() => {
    pusher.pushUpdate().catch((err: unknown) => log.error({ err }, 'push cycle failed'));
  });
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;

  let socketsClosed: Promise<void> | undefined;
  let drained: Promise<void> | undefined;
  const stopAccepting = () => {
    closing = true;
  };
  const closeSockets = () =>
    (socketsClosed ??= (async () => {
      stopAccepting();
      stopListening();
      listener.close();
      for (const session of [...sessions.values()]) session.end(CLOSE_GOING_AWAY, 'server shutting down');
      await pusher.idle();
    })());
  const drain = () =>
    (drained ??= (async () => {
      const inTime = await Promise.race([sessions.drained().then(() => true), delay(DRAIN_MS).then(() => false)]);
      if (!inTime)
        log.warn(
          { sessions: sessions.size, connections: sessions.connections },
          'shutdown: queries still running; closing DuckDB anyway',
        );
      sessions.stop();
      unbind();
    })());

  return {
    port: listener.port,
    url: `http://${hostForUrl}:${listener.port}`,
    wsUrl: `ws://${hostForUrl}:${listener.port}${WS_PATH}`,
    sessions,
    pusher,
    alerts,
    health: readHealth,
    stopAccepting,
    closeSockets,
    drain,
    close: async () => {
      await closeSockets();
      await drain();
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
