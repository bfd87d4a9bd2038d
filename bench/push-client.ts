// Idle subscribers for the push benchmark, forked by bench/push.ts so their CPU is not the server's event loop:
// {open: N, url, subs} opens N raw `ws` sockets, each subscribed to one of `subs` (round robin), and waits for every
// first result; {arm: true} starts a measurement; {collect: {timeoutMs}} waits for one push on every socket and
// returns the monotonic receipt times (ns, comparable across processes on one machine); {close: true} ends them.
import WebSocket from 'ws';
import { decode, encode } from '../shared/protocol.ts';

interface Sub {
  kind: string;
  params: Record<string, unknown>;
}
interface Socket {
  ws: WebSocket;
  /** hrtime (ns) of the first message after arming; 0 = none yet. */
  at: number;
  watermark?: string;
}

let sockets: Socket[] = [];
let armed = false;
let sample = 0;

function now(): number {
  return Number(process.hrtime.bigint());
}

async function open(url: string, n: number, subs: Sub[]): Promise<{ opened: number; failed: number; firstError?: string }> {
  let failed = 0;
  let firstError: string | undefined;
  const batch = 250; // thousands of handshakes at once only measure the accept queue
  for (let i = 0; i < n; i += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
        new Promise<Socket | null>((resolve) => {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          const s: Socket = { ws, at: 0 };
          const sub = subs[(i + j) % subs.length];
          let answered = false;
          ws.on('message', (raw: Buffer) => {
            if (armed && s.at === 0) {
              s.at = now(); // before any decoding: the time the whole frame had arrived
              // Check a sample of frames, so a wrong frame type would show without decoding 10,000 answers.
              if (sample++ % 97 === 0) {
                const f = decode(raw) as { t: string; meta?: { watermark: string } };
                if (f.t !== 'push') s.at = -1;
                s.watermark = f.meta?.watermark;
              }
              return;
            }
            const f = decode(raw) as { t: string };
            if (f.t === 'hello') return ws.send(encode({ t: 'sub', id: 1, kind: sub.kind, params: sub.params }));
            if (!answered && (f.t === 'result' || f.t === 'error')) {
              answered = true;
              if (f.t === 'error') {
                failed++;
                firstError ??= JSON.stringify(f);
                ws.close();
                return resolve(null);
              }
              resolve(s);
            }
          });
          ws.once('error', (err) => {
            failed++;
            firstError ??= err.message;
            resolve(null);
          });
        }),
      ),
    );
    for (const s of made) if (s) sockets.push(s);
  }
  return { opened: sockets.length, failed, firstError };
}

async function collect(timeoutMs: number): Promise<{ times: number[]; missing: number; wrong: number; watermarks: string[] }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && sockets.some((s) => s.at === 0)) await new Promise((r) => setTimeout(r, 5));
  armed = false;
  const got = sockets.filter((s) => s.at > 0);
  const out = {
    times: got.map((s) => s.at),
    missing: sockets.filter((s) => s.at === 0).length,
    wrong: sockets.filter((s) => s.at < 0).length,
    watermarks: [...new Set(sockets.map((s) => s.watermark).filter((w): w is string => !!w))],
  };
  for (const s of sockets) {
    s.at = 0;
    s.watermark = undefined;
  }
  return out;
}

async function closeAll(): Promise<{ closed: number }> {
  const closing = sockets.map(
    (s) =>
      new Promise<void>((resolve) => {
        if (s.ws.readyState === WebSocket.CLOSED) return resolve();
        s.ws.once('close', () => resolve());
        s.ws.close(1000);
      }),
  );
  await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 15_000))]);
  for (const s of sockets) if (s.ws.readyState !== WebSocket.CLOSED) s.ws.terminate();
  const closed = sockets.length;
  sockets = [];
  return { closed };
}

process.on('message', async (m: { url?: string; open?: number; subs?: Sub[]; arm?: boolean; collect?: { timeoutMs: number }; close?: boolean }) => {
  if (m.open !== undefined && m.url && m.subs) process.send!(await open(m.url, m.open, m.subs));
  else if (m.arm) {
    armed = true;
    process.send!({ armed: sockets.length });
  } else if (m.collect) process.send!(await collect(m.collect.timeoutMs));
  else if (m.close) process.send!(await closeAll());
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
