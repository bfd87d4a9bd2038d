// Push deltas: the change from one answer's decoded data to the next, small enough to send instead of the whole
// answer. A new 5-minute interval slides every series of a tab by one point (one dropped at the start, one
// appended), so a column is sent as "drop d, keep k of what you have, then these values" rather than in full.
// Over msgpack-decoded plain data: objects, arrays, numbers, strings, booleans, null; anything else (bytes, dates)
// is compared by identity and replaced.

/** Same keys in the same order: only the changed keys, each with its own delta. */
export interface ObjectDelta {
  o: Record<string, Delta>;
}
/**
 * `prev.slice(drop, drop + keep).concat(tail)`: a window that slid by `drop`, kept `keep`, then new or revised values.
 */
export interface ArrayDelta {
  a: [drop: number, keep: number, tail: unknown[]];
}
/** The new value as it is. */
export interface Replace {
  r: unknown;
}
export type Delta = ObjectDelta | ArrayDelta | Replace;

/** Window slides looked for: a tab's series slide by one point per interval, a catch-up by a few. */
export const MAX_DROP = 64;

/** A delta that does not fit the data it is applied to (or is not a delta at all). */
export class DeltaError extends Error {
  override name = 'DeltaError';
}

/** The change from `prev` to `next`, or undefined when they are equal. */
export function diff(prev: unknown, next: unknown): Delta | undefined {
  if (Object.is(prev, next)) return undefined;
  if (Array.isArray(prev) && Array.isArray(next)) return diffArray(prev, next);
  if (isPlain(prev) && isPlain(next)) return diffObject(prev, next);
  return { r: next };
}

/** `next` rebuilt from `prev` and `diff(prev, next)`. Never mutates `prev`; unchanged parts are shared with it. */
export function applyDelta(prev: unknown, delta: Delta): unknown {
  if (!isPlain(delta)) throw new DeltaError('a delta must be a map with one of the keys o, a, r');
  const keys = Object.keys(delta);
  if (keys.length !== 1) throw new DeltaError(`a delta has exactly one key (o, a or r), not ${keys.length}`);
  if (keys[0] === 'r') return (delta as Replace).r;
  if (keys[0] === 'o') return applyObject(prev, (delta as ObjectDelta).o);
  if (keys[0] === 'a') return applyArray(prev, (delta as ArrayDelta).a);
  throw new DeltaError(`unknown delta tag ${JSON.stringify(keys[0].slice(0, 20))}`);
}

function diffObject(prev: Record<string, unknown>, next: Record<string, unknown>): Delta | undefined {
  const pk = Object.keys(prev);
  const nk = Object.keys(next);
  // Key order matters too: the rebuilt object must encode to the same bytes as `next`.
  if (pk.length !== nk.length) return { r: next };
  for (let i = 0; i < nk.length; i++) if (pk[i] !== nk[i] || nk[i] === '__proto__') return { r: next };
  let o: Record<string, Delta> | undefined;
  for (const k of nk) {
    const d = diff(prev[k], next[k]);
    if (d) (o ??= {})[k] = d;
  }
  return o && { o };
}

function diffArray(prev: unknown[], next: unknown[]): Delta | undefined {
  const p = prev.length;
  const n = next.length;
  let drop = 0;
  let keep = 0;
  for (let d = 0; d <= Math.min(MAX_DROP, p); d++) {
    const limit = Math.min(p - d, n);
    if (limit <= keep) break; // later slides can keep no more
    let k = 0;
    while (k < limit && equal(prev[d + k], next[k])) k++;
    if (k > keep) [drop, keep] = [d, k];
  }
  if (keep === n && p === n) return undefined;
  // Only when it beats replacing: the two counts cost a few bytes, each kept element at least one.
  if (keep === 0 || (keep < 16 && keptSize(prev, drop, keep) <= 8)) return { r: next };
  return { a: [drop, keep, next.slice(keep)] };
}

function applyObject(prev: unknown, o: unknown): Record<string, unknown> {
  if (!isPlain(prev)) throw new DeltaError(`an object delta cannot apply to ${describe(prev)}`);
  if (!isPlain(o)) throw new DeltaError('an object delta holds a map of key deltas');
  const out: Record<string, unknown> = { ...prev }; // same keys, same order
  for (const k of Object.keys(o)) {
    if (!Object.hasOwn(prev, k) || k === '__proto__')
      throw new DeltaError(
        `an object delta changes key ${JSON.stringify(k.slice(0, 40))}, which the data does not have`,
      );
    out[k] = applyDelta(prev[k], o[k] as Delta);
  }
  return out;
}

function applyArray(prev: unknown, a: unknown): unknown[] {
  if (!Array.isArray(prev)) throw new DeltaError(`an array delta cannot apply to ${describe(prev)}`);
  if (!Array.isArray(a) || a.length !== 3 || !Array.isArray(a[2]))
    throw new DeltaError('an array delta is [drop, keep, tail]');
  const [drop, keep, tail] = a as [unknown, unknown, unknown[]];
  if (
    !Number.isSafeInteger(drop) ||
    !Number.isSafeInteger(keep) ||
    (drop as number) < 0 ||
    (keep as number) < 0 ||
    (drop as number) + (keep as number) > prev.length
  ) {
    throw new DeltaError(`an array delta keeps [${String(drop)}, +${String(keep)}) of ${prev.length} elements`);
  }
  const out = new Array<unknown>((keep as number) + tail.length);
  for (let i = 0; i < (keep as number); i++) out[i] = prev[(drop as number) + i];
  for (let i = 0; i < tail.length; i++) out[(keep as number) + i] = tail[i];
  return out;
}

/** Deep equality of plain data (numbers by Object.is: NaN equals NaN, -0 is not 0, as their encodings). */
function equal(x: unknown, y: unknown): boolean {
  if (Object.is(x, y)) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  return diff(x, y) === undefined;
}

/** A floor on the encoded size of prev[drop, drop + keep), enough to tell whether keeping them saves bytes. */
function keptSize(prev: unknown[], drop: number, keep: number): number {
  let size = 0;
  for (let i = drop; i < drop + keep; i++) {
    const v = prev[i];
    size +=
      typeof v === 'string'
        ? v.length + 1
        : typeof v === 'number' && !Number.isInteger(v)
          ? 9
          : v !== null && typeof v === 'object'
            ? 2
            : 1;
  }
  return size;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
