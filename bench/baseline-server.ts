// The baseline a typical team would write: a `ws` server speaking JSON, one DuckDB connection per socket and a query
// per request, no cache. Same catalogue (runQuery) on the same store as the real server, so a benchmark compares
// the serving path, not the SQL. Run as a child: `tsx bench/baseline-server.ts --data-dir D --port P`.
import { createServer } from 'node:http';
import type { DuckDBConnection } from '@duckdb/node-api';
import { WebSocketServer, type WebSocket } from 'ws';
import { runQuery } from '../server/catalogue/index.ts';
import { openStore, readWatermark } from '../server/store/db.ts';
import { isKind, validateParams, type Kind } from '../shared/kinds.ts';
import { toNemIso } from '../shared/nem.ts';

function flag(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`baseline-server: --${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const dataDir = flag('data-dir');
  const port = Number(flag('port', '0'));
  const { instance } = await openStore({ dataDir, readOnly: true });
  const probe = await instance.connect();
  const wm = await readWatermark(probe);
  probe.closeSync();
  if (!wm) throw new Error(`baseline-server: the store in ${dataDir} is empty`);
  let sessions = 0;

  const http = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ status: 'ok', sessions, duckdbConnections: sessions, watermark: toNemIso(wm.watermark) }),
      );
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
  wss.on('connection', async (ws: WebSocket) => {
    sessions++;
    let conn: DuckDBConnection | null = await instance.connect();
    ws.on('close', () => {
      sessions--;
      conn?.closeSync();
      conn = null;
    });
    ws.send(
      JSON.stringify({
        t: 'hello',
        v: 1,
        session: String(sessions),
        watermark: toNemIso(wm.watermark),
        kinds: [],
        tabs: [],
      }),
    );
    ws.on('message', async (raw) => {
      const t0 = performance.now();
      let msg: { id?: unknown; kind?: unknown; params?: unknown };
      try {
        msg = JSON.parse(String(raw));
      } catch {
        ws.send(JSON.stringify({ t: 'error', code: 'bad_frame', message: 'not JSON' }));
        return;
      }
      const { id, kind } = msg;
      if (!isKind(kind))
        return void ws.send(JSON.stringify({ t: 'error', id, code: 'unknown_kind', message: String(kind) }));
      const v = validateParams(kind as Kind, msg.params);
      if (!v.ok) return void ws.send(JSON.stringify({ t: 'error', id, code: 'bad_params', message: v.message }));
      try {
        if (!conn) return;
        const data = await runQuery({ conn, watermark: wm.watermark, firstTs: wm.firstTs }, v.kind, v.params);
        if (ws.readyState === ws.OPEN)
          ws.send(
            JSON.stringify({
              t: 'result',
              id,
              kind,
              data,
              meta: { cache: 'db', ms: performance.now() - t0, watermark: toNemIso(wm.watermark) },
            }),
          );
      } catch (err) {
        if (ws.readyState === ws.OPEN)
          ws.send(JSON.stringify({ t: 'error', id, code: 'internal', message: (err as Error).message }));
      }
    });
  });
  http.listen(port, '127.0.0.1', () => {
    const addr = http.address() as { port: number };
    console.log(`baseline listening on ws://127.0.0.1:${addr.port}/ws`);
  });
  const stop = (): void => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error((err as Error).stack ?? err);
  process.exit(1);
});
