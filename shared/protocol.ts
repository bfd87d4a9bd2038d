// The wire protocol (CONTRACT §3): frame types and the one msgpack codec both ends use.
import { Packr } from 'msgpackr';
import type { Delta } from './delta.ts';
import type { Kind } from './kinds.ts';
import { checkPlain, plainValueEnd, type PlainLimits } from './msgpack-plain.ts';

export const PROTOCOL_VERSION = 1;
export const WS_PATH = '/ws';

export const ERROR_CODES = [
  'bad_frame',
  'bad_request',
  'unknown_kind',
  'bad_params',
  'too_large',
  'rate_limited',
  'overloaded',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export type CacheTier = 'lru' | 'lmdb' | 'db';

export interface Meta {
  cache: CacheTier;
  /** Server time spent on this answer, milliseconds. */
  ms: number;
  /** ISO-8601 NEM time (+10:00) of the latest interval the answer includes. */
  watermark: string;
}

/** Ids are the client's own: a number or a short string, echoed back. */
export type RequestId = number | string;

/**
 * Where new intervals come from, so a client can say what it shows: 'demo' = synthetic data following the wall clock
 * (live now), 'replay' = synthetic data stepping one interval every `everySeconds` (ahead of or behind the clock,
 * never called live), 'aemo' = AEMO's files (NEMWEB or a watched folder), 'off' = nothing new arrives.
 */
export interface FeedInfo {
  source: 'demo' | 'replay' | 'aemo' | 'off';
  everySeconds?: number;
}

export interface HelloFrame {
  t: 'hello';
  v: number;
  session: string;
  /** Absent from servers before it was added. */
  feed?: FeedInfo;
  /** ISO-8601 NEM time (+10:00) of the data watermark; '' while the store holds no data yet. */
  watermark: string;
  kinds: Kind[];
  tabs: Kind[];
}
export interface QueryFrame {
  t: 'query';
  id: RequestId;
  kind: Kind;
  params?: Record<string, unknown>;
}
export interface SubFrame {
  t: 'sub';
  id: RequestId;
  kind: Kind;
  params?: Record<string, unknown>;
  /** Watermark (ISO) the client already holds; the server still answers at once, so there is no gap. */
  since?: string;
  /** The client applies push deltas (shared/delta.ts): pushes may then carry `base` and `delta` instead of `data`. */
  delta?: boolean;
}
export interface UnsubFrame {
  t: 'unsub';
  id: RequestId;
}
export interface ResultFrame<D = unknown> {
  t: 'result';
  id: RequestId;
  kind: Kind;
  data: D;
  meta: Meta;
}
export interface FullPushFrame<D = unknown> {
  t: 'push';
  id: RequestId;
  kind: Kind;
  data: D;
  meta: Meta;
}
/**
 * To a subscription that sent `delta: true`: `data` is applyDelta(held data, delta), where the held answer is the
 * one whose meta.watermark is `base`. Only sent when the server knows that answer was the last written to the socket.
 */
export interface DeltaPushFrame {
  t: 'push';
  id: RequestId;
  kind: Kind;
  base: string;
  delta: Delta;
  meta: Meta;
}
export type PushFrame<D = unknown> = FullPushFrame<D> | DeltaPushFrame;
export interface ErrorFrame {
  t: 'error';
  id?: RequestId;
  code: ErrorCode;
  message: string;
}

export type ClientFrame = QueryFrame | SubFrame | UnsubFrame;
export type ServerFrame = HelloFrame | ResultFrame | PushFrame | ErrorFrame;

/** Limits both ends agree on. */
export const MAX_ID_LENGTH = 64;
/** A client frame is a map of scalars and short lists: the server refuses more before decoding it. */
export const CLIENT_FRAME_LIMITS: PlainLimits = { maxDepth: 8, maxValues: 1024 };
/** Server frames carry whole answers (any number of values), never deeply nested. */
const FRAME_LIMITS: PlainLimits = { maxDepth: 64, maxValues: Infinity };

// Plain maps, no records/structures: frames are self-describing, so any msgpack client (Python, Go) can read them.
// Float64 numbers stay exact; `int64AsType: 'number'` keeps BigInt out of decoded data.
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  int64AsType: 'number',
  mapsAsObjects: true,
  bundleStrings: false,
  structuredClone: false,
});

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Reads one frame of plain msgpack: extension types (references, records, dates, Sets…) and anything past
 * `limits` throw a PlainMsgpackError (shared/msgpack-plain.ts) before msgpackr reads a byte.
 */
export function decode(bytes: Uint8Array | ArrayBuffer, limits: PlainLimits = FRAME_LIMITS): unknown {
  // A browser or `ws` socket with binaryType 'arraybuffer' hands over an ArrayBuffer.
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  checkPlain(view, limits);
  return packr.unpack(view);
}

const DATA_KEY = new Uint8Array(packr.pack('data')); // a copy: pack() returns a view into a reused buffer

/**
 * A result/push frame around a `data` payload that is already msgpack (the cached bytes), without decoding it:
 * the head's map header counts one more entry, then the head's entries, the key "data", and the bytes as they are.
 * The output is exactly what `encode({...head, data})` would give, so `decode` reads it like any frame. With `into`
 * large enough, the frame is written there and a view of it returned; otherwise into a new buffer.
 */
export function encodeFrameWithData(head: Record<string, unknown>, data: Uint8Array, into?: Uint8Array): Uint8Array {
  if (Object.hasOwn(head, 'data')) throw new TypeError('the head of a frame must not carry data itself');
  const packed = packr.pack(head);
  let count: number;
  let skip: number;
  const b0 = packed[0];
  if ((b0 & 0xf0) === 0x80) [count, skip] = [b0 & 0x0f, 1];
  else if (b0 === 0xde) [count, skip] = [(packed[1] << 8) | packed[2], 3];
  else if (b0 === 0xdf)
    [count, skip] = [((packed[1] << 24) >>> 0) + ((packed[2] << 16) | (packed[3] << 8) | packed[4]), 5];
  else throw new TypeError('the head of a frame must be a plain object');
  // Keep the encoder's own header form (msgpackr writes map16 even for small maps), so the bytes match encode().
  const header =
    b0 === 0xdf || count + 1 > 0xffff
      ? [0xdf, ...u32(count + 1)]
      : b0 === 0xde
        ? [0xde, (count + 1) >> 8, (count + 1) & 0xff]
        : count + 1 < 16
          ? [0x80 | (count + 1)]
          : [0xde, 0, count + 1];
  const size = header.length + packed.length - skip + DATA_KEY.length + data.length;
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  out.set(header, 0);
  let at = header.length;
  out.set(packed.subarray(skip), at);
  at += packed.length - skip;
  out.set(DATA_KEY, at);
  out.set(data, at + DATA_KEY.length);
  return out;
}

/**
 * The inverse of encodeFrameWithData: a frame's head decoded, and its trailing `data` payload as the msgpack bytes it
 * is, not decoded (`decode(data)` reads it when wanted). Lets a load client measure the server rather than its own
 * decoding of 100 KB answers, and read a head from a frame's first bytes alone. A frame whose last entry is not
 * `data` is decoded whole (and has no `data` bytes).
 */
export function splitFrame(bytes: Uint8Array): { head: Record<string, unknown>; data?: Uint8Array } {
  const b0 = bytes[0];
  const [count, skip] =
    (b0 & 0xf0) === 0x80
      ? [b0 & 0x0f, 1]
      : b0 === 0xde
        ? [(bytes[1] << 8) | bytes[2], 3]
        : b0 === 0xdf
          ? [((bytes[1] << 24) >>> 0) + ((bytes[2] << 16) | (bytes[3] << 8) | bytes[4]), 5]
          : [0, 0];
  const whole = () => ({ head: decode(bytes) as Record<string, unknown> });
  // A head is a handful of scalars and a small meta map (at most 15 entries before data): walk its keys and values.
  // One that is more (an alerts push carries its data before meta) is not a head: decode reads it whole, or refuses.
  if (count < 1 || count > 16) return whole();
  let at = skip;
  try {
    for (let i = 0; i < count - 1; i++) at = plainValueEnd(bytes, plainValueEnd(bytes, at, HEAD), HEAD);
  } catch {
    return whole();
  }
  if (!DATA_KEY.every((b, j) => bytes[at + j] === b)) return whole();
  const bytesOfHead = new Uint8Array(1 + at - skip);
  bytesOfHead[0] = 0x80 | (count - 1);
  bytesOfHead.set(bytes.subarray(skip, at), 1);
  const head = decode(bytesOfHead) as Record<string, unknown>;
  // A hostile frame naming data twice: decode keeps the last one, and a head never holds data.
  return Object.hasOwn(head, 'data') ? whole() : { head, data: bytes.subarray(at + DATA_KEY.length) };
}

const HEAD: PlainLimits = { maxDepth: 4, maxValues: 256 };

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
