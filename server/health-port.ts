// /healthz on a port of its own, served by node:http, for health checkers the app's port cannot answer: uWS (20.30,
// the newest build on npm) parses only `HTTP/1.1` request lines, so an HTTP/1.0 check, one without a Host or one with
// more than 48 headers gets no response there at all (held until its 10 s timeout). Off unless HEALTH_PORT is set.
import { createServer, type Server } from 'node:http';
import { JSON_TYPE } from './health.ts';
import type { Logger } from './log.ts';

/** What the port reports: the same body as the app's /healthz; 200 while `status` is "ok", else 503. */
export type ReadHealth = () => { status: string };

export interface HealthPort {
  readonly port: number;
  close(): Promise<void>;
}

export function listenHealth(host: string, port: number, read: ReadHealth, log: Logger): Promise<HealthPort> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/healthz' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('only GET or HEAD /healthz here\n');
      return;
    }
    const h = read();
    const body = JSON.stringify(h);
    res.writeHead(h.status === 'ok' ? 200 : 503, { ...JSON_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // A checker gets its answer in one round trip; nothing here is worth holding a socket for.
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  server.keepAliveTimeout = 1000;
  server.maxHeadersCount = 200;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as { port: number }).port;
      log.info({ healthPort: bound }, 'health checks also answered on their own port (any HTTP version)');
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
