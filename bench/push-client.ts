// Idle subscribers for the push benchmark, forked by bench/push.ts so their CPU is not the server's event loop.
// Each is a bench/raw-ws.ts socket (a bare TCP socket speaking just enough WebSocket, keeping only each message's
// first and last bytes): with 10,000 sockets on a 2-core machine, a full client library's per-message work and
// garbage would be most of what gets measured.
// {open: N, url, subs, delta} opens N subscribers (round robin over `subs`; `delta: true` asks for push deltas, as the
// SDK does) and waits for every first result;
// {arm: true} starts a measurement; {collect: {timeoutMs}} waits for one complete push frame per socket and returns
// the monotonic arrival times (ns; CLOCK_MONOTONIC, comparable across processes); {close: true} ends them.
import { decode, encode } from '../shared/protocol.ts';
import { HEAD_BYTES, OP_BINARY, RawWs, type Message } from './raw-ws.ts';

interface Sub {
  kind: string;
  params: Record<string, unknown>;
}

interface Subscriber {
  ws: RawWs;
  armed: boolean;
  /** hrtime (ns) when the first message after arming was complete; 0 = none yet, -1 = it was not a push. */
  at: number;
}

/** A frame's `t` from its first bytes: every frame is a map whose first entry is `t` (shared/protocol.ts). */
function frameType(head: Buffer): string | undefined {
  const b0 = head[0];
  const at = (b0 & 0xf0) === 0x80 ? 1 : b0 === 0xde ? 3 : b0 === 0xdf ? 5 : -1;
  if (at < 0 || head[at] !== 0xa1 || head[at + 1] !== 0x74) return undefined; // fixstr "t"
  const len = head[at + 2] - 0xa0;
  return len > 0 && len < 32 ? head.toString('latin1', at + 3, at + 3 + len) : undefined;
}

let subscribers: Subscriber[] = [];

function openOne(url: string, sub: Sub, delta: boolean): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    let s: Subscriber | undefined;
    let subscribed = false;
    const onMessage = (m: Message, ws: RawWs): void => {
      s ??= { ws, armed: false, at: 0 };
      if (s.armed) {
        s.armed = false;
        s.at = m.opcode === OP_BINARY && frameType(m.head) === 'push' ? Number(process.hrtime.bigint()) : -1;
        return;
      }
      const t = frameType(m.head);
      if (t === 'hello' && !subscribed) {
        subscribed = true;
        ws.send(encode({ t: 'sub', id: 1, kind: sub.kind, params: sub.params, ...(delta ? { delta } : {}) }));
      } else if (t === 'result' && subscribed) resolve(s);
      else if (t === 'error')
        reject(
          new Error(
            `subscription refused: ${(m.length <= HEAD_BYTES ? (decode(m.head) as { message?: string }).message : undefined) ?? 'error frame'}`,
          ),
        );
    };
    RawWs.open(url, onMessage).catch(reject);
  });
}

async function open(
  url: string,
  n: number,
  subs: Sub[],
  delta: boolean,
): Promise<{ opened: number; failed: number; firstError?: string }> {
  let failed = 0;
  let firstError: string | undefined;
  const batch = 250; // thousands of handshakes at once only measure the accept queue
  for (let i = 0; i < n; i += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
        openOne(url, subs[(i + j) % subs.length], delta).catch((err: Error) => {
          failed++;
          firstError ??= err.message;
          return null;
        }),
      ),
    );
    for (const s of made) if (s) subscribers.push(s);
  }
  return { opened: subscribers.length, failed, firstError };
}

async function collect(timeoutMs: number): Promise<{ times: number[]; missing: number; wrong: number }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && subscribers.some((s) => s.at === 0)) await new Promise((r) => setTimeout(r, 5));
  return {
    times: subscribers.filter((s) => s.at > 0).map((s) => s.at),
    missing: subscribers.filter((s) => s.at === 0).length,
    wrong: subscribers.filter((s) => s.at < 0).length,
  };
}

function closeAll(): { closed: number } {
  for (const s of subscribers) s.ws.destroy();
  const closed = subscribers.length;
  subscribers = [];
  return { closed };
}

process.on(
  'message',
  async (m: {
    url?: string;
    open?: number;
    subs?: Sub[];
    delta?: boolean;
    arm?: boolean;
    collect?: { timeoutMs: number };
    close?: boolean;
  }) => {
    if (m.open !== undefined && m.url && m.subs) process.send!(await open(m.url, m.open, m.subs, m.delta === true));
    else if (m.arm) {
      for (const s of subscribers) {
        s.armed = true;
        s.at = 0;
      }
      process.send!({ armed: subscribers.length });
    } else if (m.collect) process.send!(await collect(m.collect.timeoutMs));
    else if (m.close) process.send!(closeAll());
  },
);
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
