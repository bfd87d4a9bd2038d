// Checks that bytes hold exactly one plain msgpack value before msgpackr reads them. msgpackr gives meaning to
// extension types (shared and cyclic references, records, Sets, Errors, typed arrays, dates) whatever its options,
// so a peer could make one small frame decode into a graph that takes forever to walk. Plain msgpack is a tree
// with at least one byte per value: this one pass, without allocating, bounds what decoding can cost. The one
// extension let through is msgpackr's `undefined` (see 0xd4 below).

export interface PlainLimits {
  /** Containers nest at most this deep: the top value is at depth 0, its elements at 1, and so on. */
  maxDepth: number;
  /** Values in all (map keys, elements and containers included). */
  maxValues: number;
}

export type PlainProblem = 'malformed' | 'too_deep' | 'too_many';

export class PlainMsgpackError extends Error {
  override name = 'PlainMsgpackError';
  constructor(
    readonly problem: PlainProblem,
    message: string,
  ) {
    super(message);
  }
}

const fail = (message: string) => new PlainMsgpackError('malformed', message);

/** Bytes after the type byte for scalars of a fixed size (fixints, nil, booleans, numbers, fixstr); -1 for the rest. */
const FIXED = new Int8Array(256).fill(-1);
for (let b = 0; b < 256; b++) if (b <= 0x7f || b >= 0xe0) FIXED[b] = 0;
for (let b = 0xa0; b <= 0xbf; b++) FIXED[b] = b & 0x1f;
for (const [b, n] of [
  [0xc0, 0],
  [0xc2, 0],
  [0xc3, 0],
  [0xca, 4],
  [0xcb, 8],
  [0xcc, 1],
  [0xcd, 2],
  [0xce, 4],
  [0xcf, 8],
  [0xd0, 1],
  [0xd1, 2],
  [0xd2, 4],
  [0xd3, 8],
])
  FIXED[b] = n;

/** Throws a PlainMsgpackError unless `bytes` is one plain msgpack value within `limits`, with nothing after it. */
export function checkPlain(bytes: Uint8Array, limits: PlainLimits): void {
  const at = plainValueEnd(bytes, 0, limits);
  if (at !== bytes.length) throw fail(`${bytes.length - at} bytes after the value`);
}

/** Where the plain msgpack value that starts at `start` ends; throws a PlainMsgpackError as checkPlain does. */
export function plainValueEnd(bytes: Uint8Array, start: number, limits: PlainLimits): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  const { maxDepth, maxValues } = limits;
  const outer: number[] = []; // values still to read in each enclosing container
  let left = 1; // values still to read in the current container (at first: the top value)
  let at = start;
  let values = 0;
  const need = (n: number) => {
    if (at + n > end) throw fail(`the value ends early, at byte ${end}`);
  };
  for (;;) {
    if (left === 0) {
      if (outer.length === 0) break;
      left = outer.pop()!;
      continue;
    }
    left--;
    if (++values > maxValues) throw new PlainMsgpackError('too_many', `more than ${maxValues} values`);
    need(1);
    const b = bytes[at++];
    const fixed = FIXED[b];
    if (fixed >= 0) {
      at += fixed;
      if (at > end) throw fail(`the value ends early, at byte ${end}`);
      continue;
    }
    let skip = 0;
    let children = 0;
    if (b <= 0x8f) children = (b & 0x0f) * 2;
    else if (b <= 0x9f) children = b & 0x0f;
    else {
      switch (b) {
        case 0xc4: // bin 8, 16, 32 and str 8, 16, 32: a length, then that many bytes
        case 0xd9:
          need(1);
          skip = bytes[at];
          at += 1;
          break;
        case 0xc5:
        case 0xda:
          need(2);
          skip = view.getUint16(at);
          at += 2;
          break;
        case 0xc6:
        case 0xdb:
          need(4);
          skip = view.getUint32(at);
          at += 4;
          break;
        case 0xdc:
          need(2);
          children = view.getUint16(at);
          at += 2;
          break;
        case 0xdd:
          need(4);
          children = view.getUint32(at);
          at += 4;
          break;
        case 0xde:
          need(2);
          children = view.getUint16(at) * 2;
          at += 2;
          break;
        case 0xdf:
          need(4);
          children = view.getUint32(at) * 2;
          at += 4;
          break;
        case 0xd4:
          // fixext 1 of type 0 with a zero byte: how msgpackr (so this project's encode) writes `undefined`, which JS
          // clients put in optional fields. It reads as undefined and allocates nothing; no other extension passes.
          need(2);
          if (bytes[at] !== 0 || bytes[at + 1] !== 0)
            throw fail('extension type 0xd4 (only plain msgpack is accepted)');
          skip = 2;
          break;
        default:
          // 0xc1 is never used; 0xc7–0xc9 and 0xd5–0xd8 are extension types.
          throw fail(
            b === 0xc1 ? 'reserved byte 0xc1' : `extension type 0x${b.toString(16)} (only plain msgpack is accepted)`,
          );
      }
    }
    need(skip);
    at += skip;
    if (children > 0) {
      if (outer.length >= maxDepth) throw new PlainMsgpackError('too_deep', `nests more than ${maxDepth} levels deep`);
      outer.push(left);
      left = children;
    }
  }
  return at;
}
