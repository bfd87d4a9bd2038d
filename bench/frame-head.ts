// Reads a result frame's head (t, id, kind, meta or an error's code) without decoding its payload, so a load client
// measures the server rather than its own decoding of 100 KB tab answers. Works for this server's msgpack frames
// (data is the last entry: shared/protocol encodeFrameWithData) and the baseline's JSON (data before meta).
import { splitFrame } from '../shared/protocol.ts';

export interface FrameHead {
  t: string;
  id?: number | string;
  code?: string;
  meta?: { cache?: string; ms?: number };
}

/** The head of a msgpack frame (everything before a trailing `data` entry), from the frame or its first bytes. */
export function msgpackHead(bytes: Uint8Array): FrameHead {
  return splitFrame(bytes).head as unknown as FrameHead;
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
