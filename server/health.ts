// GET /healthz (CONTRACT §2) and GET /metrics (Prometheus text). Health is cheap and always answers; during
// shutdown it says so with a 503 so a load balancer stops sending new sockets.
import { bearerToken, tokenMatches } from './auth.ts';
import type { Market } from './market.ts';
import { registry } from './metrics.ts';
import { reply, watchAbort } from './http.ts';
import type { Sessions } from './sessions.ts';
import type { StoreState } from './store-health.ts';
import type { SourceLag } from './live/sources.ts';
import type { HttpRequest, HttpResponse } from './uws.ts';

export interface Health {
  /** degraded: the store's queries fail (see `store.reason`); both it and shutting_down answer 503. */
  status: 'ok' | 'degraded' | 'shutting_down';
  sessions: number;
  duckdbConnections: number;
  /** ISO-8601 NEM time; null while the store holds no data yet. */
  watermark: string | null;
  /** duckdb_memory() summed, as last sampled (at most a few seconds old); absent in a process without DuckDB. */
  duckdbMemoryBytes?: number;
  /** Present while the store fails (server/store-health.ts); a cluster worker reports its supervisor's. */
  store?: StoreState;
  /**
   * With AEMO data live (LIVE=nemweb, http, watch): each source's newest interval and its lag; one later than
   * SOURCE_LATE_S (rooftop PV half an hour more) makes the status `degraded`.
   */
  sources?: Record<string, SourceLag>;
}

export function health(
  sessions: Sessions,
  market: Market,
  closing: boolean,
  duckdbMemoryBytes?: number,
  store?: StoreState,
  sources?: Record<string, SourceLag>,
): Health {
  const watermark = market.hasData ? market.iso : null;
  const h: Health = { status: 'ok', sessions: sessions.size, duckdbConnections: sessions.connections, watermark };
  if (duckdbMemoryBytes !== undefined) h.duckdbMemoryBytes = duckdbMemoryBytes;
  if (sources) h.sources = sources;
  // The contract's fields exactly while the store is fine; its state only when it is not.
  return withStore(store && !store.ok ? { ...h, store } : h, closing);
}

/** The status for a store's state: `degraded` while it fails or a source is late, unless shutting down says more. */
export function withStore(h: Health, closing: boolean): Health {
  const late = h.sources !== undefined && Object.values(h.sources).some((s) => s.late);
  return { ...h, status: closing ? 'shutting_down' : (h.store && !h.store.ok) || late ? 'degraded' : 'ok' };
}

export const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

export function healthHandler(read: () => Health) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const head = req.getMethod().toUpperCase() === 'HEAD';
    const h = read();
    reply(
      res,
      { aborted: false },
      {
        status: h.status === 'ok' ? '200 OK' : '503 Service Unavailable',
        headers: JSON_TYPE,
        body: JSON.stringify(h),
        head,
      },
    );
  };
}

/**
 * `token`: when set (AUTH_TOKEN), /metrics wants `Authorization: Bearer <token>`. `read` gives the text (a cluster
 * worker asks its supervisor for every process's metrics combined).
 */
export function metricsHandler(token: string | undefined, read: () => Promise<string> = () => registry.metrics()) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const auth = req.getHeader('authorization');
    const state = watchAbort(res);
    if (!tokenMatches(token, bearerToken(auth))) {
      reply(res, state, {
        status: '401 Unauthorized',
        headers: { 'WWW-Authenticate': 'Bearer' },
        body: 'unauthorized',
      });
      return;
    }
    read()
      .then((text) =>
        reply(res, state, {
          status: '200 OK',
          headers: { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' },
          body: text,
        }),
      )
      .catch((err: Error) =>
        reply(res, state, { status: '500 Internal Server Error', body: `metrics failed: ${err.message}` }),
      );
  };
}
