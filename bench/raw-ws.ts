// A lean WebSocket client for load generation: a bare TCP socket speaking just enough of RFC 6455 (handshake,
// unfragmented frames, masked sends, pong, close) and keeping of each message only its first and last bytes, copied
// into per-socket buffers. Every socket of a process reads into one shared buffer (net's `onread`), so receiving a
// 100 KB answer allocates nothing: with the `ws` package, those per-message Buffers made each load client run a full
// garbage collection 2–3 times a second (3–17 ms each, measured), and answers that landed meanwhile were timed late.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** The parts of a message a load client reads: its head (first bytes) and tail (last bytes), valid during the call. */
export interface Message {
  opcode: number;
  length: number;
  /** The first min(length, HEAD_BYTES) bytes. */
  head: Buffer;
  /** The last min(length, TAIL_BYTES) bytes. */
  tail: Buffer;
}

const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
export const HEAD_BYTES = 1024;
export const TAIL_BYTES = 256;

const READ_BUFFER = Buffer.alloc(256 * 1024);

export class RawWs {
  private readonly headBuf = Buffer.alloc(HEAD_BYTES);
  private readonly tailBuf = Buffer.alloc(TAIL_BYTES * 2);
  private header = Buffer.alloc(14);
  private headerLen = 0;
  private opcode = 0;
  private length = 0;
  private received = 0;
  private tailLen = 0;
  private inPayload = false;
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly onMessage: (m: Message, ws: RawWs) => void,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /**
   * Connects and upgrades; resolves once the server has answered 101. Messages may arrive with the 101 itself,
   * before the promise's callbacks run: `onMessage` gets the socket for replying.
   */
  static open(url: string, onMessage: (m: Message, ws: RawWs) => void): Promise<RawWs> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      let handshake: Buffer | undefined = Buffer.alloc(0);
      const onRead = (n: number, buf: Uint8Array): boolean => {
        const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
        if (!handshake) {
          ws.feed(chunk);
          return true;
        }
        handshake = Buffer.concat([handshake, chunk]);
        const end = handshake.indexOf('\r\n\r\n');
        if (end < 0) return true;
        const status = handshake.subarray(0, handshake.indexOf('\r\n')).toString();
        const rest = Buffer.from(handshake.subarray(end + 4));
        handshake = undefined;
        if (!/^HTTP\/1\.1 101/.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return true;
        }
        resolve(ws);
        if (rest.length) ws.feed(rest);
        return true;
      };
      const socket = connect({
        host: target.hostname,
        port: Number(target.port),
        noDelay: true,
        onread: { buffer: READ_BUFFER, callback: onRead },
      });
      const ws = new RawWs(socket, onMessage);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write(
          `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /**
   * One frame: binary for bytes, text for a string. Masked with a zero key (required of clients, leaves bytes as they
   * are).
   */
  send(data: Uint8Array | string, opcode = typeof data === 'string' ? OP_TEXT : OP_BINARY): void {
    // A copy: callers pass msgpackr's reused encode buffer, and a write the kernel cannot take at once is queued.
    const payload = Buffer.from(data);
    const len = payload.length;
    const head =
      len < 126
        ? Buffer.from([0x80 | opcode, 0x80 | len, 0, 0, 0, 0])
        : len < 65536
          ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff, 0, 0, 0, 0])
          : undefined;
    if (!head) throw new Error('raw-ws: frames over 64 KB are not sent by load clients');
    this.socket.cork();
    this.socket.write(head);
    this.socket.write(payload);
    this.socket.uncork();
  }

  /** A close frame (1000), then the end of the connection once the server closes. */
  close(): void {
    if (this.socket.destroyed) return;
    this.send(Buffer.from([0x03, 0xe8]), OP_CLOSE);
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (!this.inPayload) {
        this.header[this.headerLen++] = chunk[off++];
        const need = this.headerNeeded();
        if (need === 0 || this.headerLen < need) continue;
        this.startPayload(need);
        if (this.length === 0) this.finish();
        continue;
      }
      const take = Math.min(this.length - this.received, chunk.length - off);
      const part = chunk.subarray(off, off + take);
      if (this.received < HEAD_BYTES)
        part.copy(this.headBuf, this.received, 0, Math.min(take, HEAD_BYTES - this.received));
      this.keepTail(part);
      this.received += take;
      off += take;
      if (this.received === this.length) this.finish();
    }
  }

  /** Bytes of the current frame header, or 0 while its length is not known yet (server frames are never masked). */
  private headerNeeded(): number {
    if (this.headerLen < 2) return 0;
    const len = this.header[1] & 0x7f;
    return len < 126 ? 2 : len === 126 ? 4 : 10;
  }

  private startPayload(size: number): void {
    const h = this.header;
    if ((h[0] & 0x80) === 0) throw new Error('raw-ws: fragmented messages are not expected from these servers');
    this.opcode = h[0] & 0x0f;
    const len = h[1] & 0x7f;
    this.length = size === 2 ? len : size === 4 ? h.readUInt16BE(2) : Number(h.readBigUInt64BE(2));
    this.headerLen = 0;
    this.received = 0;
    this.tailLen = 0;
    this.inPayload = true;
  }

  /** Keeps the last TAIL_BYTES seen, in a buffer twice that size (shifted down when full). */
  private keepTail(part: Buffer): void {
    const src = part.length > TAIL_BYTES ? part.subarray(part.length - TAIL_BYTES) : part;
    if (this.tailLen + src.length > this.tailBuf.length) {
      const keep = Math.min(this.tailLen, TAIL_BYTES - src.length);
      this.tailBuf.copy(this.tailBuf, 0, this.tailLen - keep, this.tailLen);
      this.tailLen = keep;
    }
    src.copy(this.tailBuf, this.tailLen);
    this.tailLen += src.length;
  }

  private finish(): void {
    this.inPayload = false;
    const head = this.headBuf.subarray(0, Math.min(this.length, HEAD_BYTES));
    const tail = this.tailBuf.subarray(Math.max(0, this.tailLen - TAIL_BYTES), this.tailLen);
    if (this.opcode === OP_PING) this.send(Buffer.from(head), OP_PONG);
    else if (this.opcode === OP_CLOSE) this.socket.end();
    else if (this.opcode === OP_TEXT || this.opcode === OP_BINARY)
      this.onMessage({ opcode: this.opcode, length: this.length, head, tail }, this);
  }
}
