// A small server that speaks the wire protocol over `ws` on loopback, with knobs the SDK tests need
// (push on demand, kill sockets, restart on the same port). The real server is exercised in test/live/.
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { decode, encode, type ClientFrame } from '../../shared/protocol.ts';

export interface FakeServer {
  url: string;
  received: ClientFrame[];
  sockets: Set<WebSocket>;
  /** What a query or sub answers now. */
  answer: { data: unknown; watermark: string };
  push(data: unknown, watermark: string): void;
  close(): Promise<void>;
  reopen(): Promise<void>;
}

export async function fakeServer(port = 0): Promise<FakeServer> {
  const received: ClientFrame[] = [];
  const sockets = new Set<WebSocket>();
  const subs = new Map<WebSocket, Set<string | number>>();
  let wss: WebSocketServer;
  const server: FakeServer = {
    url: '',
    received,
    sockets,
    answer: { data: { n: 1 }, watermark: '2026-04-01T00:05:00+10:00' },
    push(data, watermark) {
      server.answer = { data, watermark };
      for (const [ws, ids] of subs)
        for (const id of ids) ws.send(encode({ t: 'push', id, kind: 'prices.current', data, meta: meta(watermark) }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close(() => resolve());
      }),
    reopen: () => listen(Number(new URL(server.url).port)),
  };
  const meta = (watermark: string) => ({ cache: 'lru', ms: 0.1, watermark });
  async function listen(p: number): Promise<void> {
    wss = new WebSocketServer({ host: '127.0.0.1', port: p });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    server.url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
    wss.on('connection', (ws) => {
      sockets.add(ws);
      subs.set(ws, new Set());
      ws.on('close', () => (sockets.delete(ws), subs.delete(ws)));
      ws.send(encode({ t: 'hello', v: 1, session: 's1', watermark: server.answer.watermark, kinds: [], tabs: [] }));
      ws.on('message', (raw: Buffer) => {
        const f = decode(raw) as ClientFrame;
        received.push(f);
        if (f.t === 'unsub') return void subs.get(ws)!.delete(f.id);
        if (f.kind === ('nope' as never))
          return ws.send(encode({ t: 'error', id: f.id, code: 'unknown_kind', message: 'no such kind' }));
        if (f.t === 'sub') subs.get(ws)!.add(f.id);
        ws.send(
          encode({
            t: 'result',
            id: f.id,
            kind: f.kind,
            data: server.answer.data,
            meta: meta(server.answer.watermark),
          }),
        );
      });
    });
  }
  await listen(port);
  return server;
}
