// The wire protocol (CONTRACT §3): frame types and the one msgpack codec both ends use.
import { Packr } from 'msgpackr';
import type { Kind } from './kinds.ts';

export const PROTOCOL_VERSION = 1;
export const WS_PATH = '/ws';

export const ERROR_CODES = ['bad_frame', 'bad_request', 'unknown_kind', 'bad_params', 'too_large', 'rate_limited', 'overloaded', 'internal'] as const;
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

export interface HelloFrame {
  t: 'hello';
  v: number;
  session: string;
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
export interface PushFrame<D = unknown> {
  t: 'push';
  id: RequestId;
  kind: Kind;
  data: D;
  meta: Meta;
}
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

// Plain maps, no records/structures: frames are self-describing, so any msgpack client (Python, Go) can read them.
// Float64 numbers stay exact; `int64AsType: 'number'` keeps BigInt out of decoded data.
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number', mapsAsObjects: true, bundleStrings: false });

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
