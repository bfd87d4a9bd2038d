// Reads a result frame's head (t, id, kind, meta or an error's code) without decoding its payload, so a load client
// measures the server rather than its own decoding of 100 KB tab answers. Works for this server's msgpack frames
// (data is the last entry: shared/protocol encodeFrameWithData) and the baseline's JSON (data before meta).
import { decode, encode } from '../shared/protocol.ts';

export interface FrameHead {
  t: string;
  id?: number | string;
  code?: string;
  meta?: { cache?: string; ms?: number };
}

const DATA_KEY = encode('data'); // fixstr "data": 0xa4 d a t a

function indexOfKey(bytes: Uint8Array, limit: number): number {
  outer: for (let i = 1; i <= Math.min(limit, bytes.length - DATA_KEY.length); i++) {
    for (let j = 0; j < DATA_KEY.length; j++) if (bytes[i + j] !== DATA_KEY[j]) continue outer;
    return i;
  }
  return -1;
}

/** The head of a msgpack frame: everything before a trailing `data` entry, decoded; the whole frame if none. */
export function msgpackHead(bytes: Uint8Array): FrameHead {
  const b0 = bytes[0];
  const skip = (b0 & 0xf0) === 0x80 ? 1 : b0 === 0xde ? 3 : b0 === 0xdf ? 5 : 0;
  const at = skip ? indexOfKey(bytes, 512) : -1;
  if (at < 0) return decode(bytes) as FrameHead;
  const count =
    skip === 1
      ? b0 & 0x0f
      : skip === 3
        ? (bytes[1] << 8) | bytes[2]
        : ((bytes[1] << 24) >>> 0) + ((bytes[2] << 16) | (bytes[3] << 8) | bytes[4]);
  if (count - 1 > 15) return decode(bytes) as FrameHead; // not a frame shape this server sends
  const head = new Uint8Array(1 + at - skip);
  head[0] = 0x80 | (count - 1);
  head.set(bytes.subarray(skip, at), 1);
  return decode(head) as FrameHead;
}

/** The head of a JSON frame from its first and last few hundred characters. */
export function jsonHead(text: string): FrameHead {
  if (text.length < 1024) return JSON.parse(text) as FrameHead;
  const start = text.slice(0, 256);
  const end = text.slice(-256);
  const t = /"t":"(\w+)"/.exec(start)?.[1] ?? '?';
  const id = /"id":(\d+|"[^"]*")/.exec(start)?.[1];
  const cache = /"cache":"(\w+)"/.exec(end)?.[1];
  return { t, id: id === undefined ? undefined : JSON.parse(id), meta: cache ? { cache } : undefined };
}
