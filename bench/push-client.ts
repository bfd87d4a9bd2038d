// Idle subscribers for the push benchmark, forked by bench/push.ts so their CPU is not the server's event loop.
// Each is a bare TCP socket speaking just enough WebSocket (handshake, frame headers, pong): with 10,000 sockets
// on a 2-core machine, a full client library's per-message work would be most of what gets measured.
// {open: N, url, subs, delta} opens N subscribers (round robin over `subs`; `delta: true` asks for push deltas, as the
// SDK does) and waits for every first result;
// {arm: true} starts a measurement; {collect: {timeoutMs}} waits for one complete push frame per socket and returns
// the monotonic arrival times (ns; CLOCK_MONOTONIC, comparable across processes); {close: true} ends them.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { decode, encode } from '../shared/protocol.ts';

interface Sub {
  kind: string;
  params: Record<string, unknown>;
}

const OP_BINARY = 0x2;
const OP_PING = 0x9;

/** Reads server frames (never masked) from a byte stream, keeping only the payloads it is asked to keep. */
class Subscriber {
  /** hrtime (ns) when the first frame after arming was complete; 0 = none yet, -1 = it was not a push. */
  at = 0;
  private head: number[] = [];
  private remaining = 0;
  private inPayload = false;
  private opcode = 0;
  private kept: Buffer[] | undefined;
  private armedFrame = false;

  constructor(
    readonly socket: Socket,
    private readonly onFrame: (s: Subscriber, opcode: number, payload: Buffer | undefined) => void,
  ) {}

  arm(): void {
    this.armedFrame = true;
    this.at = 0;
  }

  feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (!this.inPayload) {
        this.head.push(chunk[off++]);
        const size = this.headerSize();
        if (size === 0 || this.head.length < size) continue;
        this.startPayload(size);
        if (this.remaining === 0) this.finish();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - off);
      // A copy: `chunk` is the socket's reused read buffer.
      this.kept?.push(Buffer.from(chunk.subarray(off, off + take)));
      this.remaining -= take;
      off += take;
      if (this.remaining === 0) this.finish();
    }
  }

  /** Bytes of the current header, or 0 while its length is not known yet. */
  private headerSize(): number {
    if (this.head.length < 2) return 0;
    const len = this.head[1] & 0x7f;
    return len < 126 ? 2 : len === 126 ? 4 : 10;
  }

  private startPayload(size: number): void {
    const h = this.head;
    this.opcode = h[0] & 0x0f;
    const len = h[1] & 0x7f;
    this.remaining = size === 2 ? len : size === 4 ? (h[2] << 8) | h[3] : Number(Buffer.from(h.slice(2, 10)).readBigUInt64BE());
    this.head = [];
    this.inPayload = true;
    // Payloads are kept only where something reads them: before arming, pings, and a sample of pushes.
    const measuring = this.armedFrame && this.opcode === OP_BINARY;
    this.kept = !measuring || sampled() || this.opcode === OP_PING ? [] : undefined;
  }

  private finish(): void {
    this.inPayload = false;
    const payload = this.kept ? Buffer.concat(this.kept) : undefined;
    this.kept = undefined;
    if (this.armedFrame && this.opcode === OP_BINARY) {
      this.at = Number(process.hrtime.bigint()); // the whole frame has arrived
      this.armedFrame = false;
      if (payload && (decode(payload) as { t: string }).t !== 'push') this.at = -1;
      return;
    }
    this.onFrame(this, this.opcode, payload);
  }
}

let sampleCount = 0;
const sampled = () => sampleCount++ % 97 === 0;

/** A client frame: FIN + opcode, masked (required of clients) with a zero key, which leaves the payload as is. */
function clientFrame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

let subscribers: Subscriber[] = [];
/** Every socket of this process reads into this one buffer (reads are handled one at a time, synchronously). */
const READ_BUFFER = Buffer.alloc(256 * 1024);

function openOne(url: URL, sub: Sub, delta: boolean): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    // onread: each read lands in one reused buffer and calls back directly, no stream or Buffer per read; with
    // thousands of sockets on the server's cores, the client's own per-read cost would otherwise be measured too.
    const onRead = (n: number, buf: Uint8Array): boolean => {
      onData(Buffer.from(buf.buffer, buf.byteOffset, n));
      return true;
    };
    const socket: Socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true, onread: { buffer: READ_BUFFER, callback: onRead } });
    let handshake: Buffer | undefined = Buffer.alloc(0);
    const s: Subscriber = new Subscriber(socket, (self, opcode, payload) => {
      if (opcode === OP_PING) return void socket.write(clientFrame(0xa, payload ?? Buffer.alloc(0)));
      if (opcode !== OP_BINARY || !payload) return;
      const f = decode(payload) as { t: string; message?: string };
      if (f.t === 'hello') socket.write(clientFrame(OP_BINARY, encode({ t: 'sub', id: 1, kind: sub.kind, params: sub.params, ...(delta ? { delta } : {}) })));
      else if (f.t === 'result') resolve(self);
      else if (f.t === 'error') reject(new Error(`subscription refused: ${f.message}`));
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onData = (chunk: Buffer): void => {
      if (!handshake) return s.feed(chunk);
      handshake = Buffer.concat([handshake, chunk]);
      const end = handshake.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = handshake.subarray(0, handshake.indexOf('\r\n')).toString();
      if (!/^HTTP\/1\.1 101/.test(status)) return reject(new Error(`upgrade refused: ${status}`));
      const rest = handshake.subarray(end + 4);
      handshake = undefined;
      if (rest.length) s.feed(rest);
    };
  });
}

async function open(url: string, n: number, subs: Sub[], delta: boolean): Promise<{ opened: number; failed: number; firstError?: string }> {
  let failed = 0;
  let firstError: string | undefined;
  const target = new URL(url);
  const batch = 250; // thousands of handshakes at once only measure the accept queue
  for (let i = 0; i < n; i += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
        openOne(target, subs[(i + j) % subs.length], delta).catch((err: Error) => {
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
  for (const s of subscribers) s.socket.destroy();
  const closed = subscribers.length;
  subscribers = [];
  return { closed };
}

process.on('message', async (m: { url?: string; open?: number; subs?: Sub[]; delta?: boolean; arm?: boolean; collect?: { timeoutMs: number }; close?: boolean }) => {
  if (m.open !== undefined && m.url && m.subs) process.send!(await open(m.url, m.open, m.subs, m.delta === true));
  else if (m.arm) {
    for (const s of subscribers) s.arm();
    process.send!({ armed: subscribers.length });
  } else if (m.collect) process.send!(await collect(m.collect.timeoutMs));
  else if (m.close) process.send!(closeAll());
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
