// Reads zip archives held in memory (NEMWEB files are a few KB to tens of MB compressed): lists members from
// the central directory and inflates one member at a time in slices with fflate, so a 300 MB CSV inside is
// never held whole. Every member's CRC-32 and size are checked; a mismatch rejects the file.
import { crc32 } from 'node:zlib';
import { Inflate } from 'fflate';

export class ZipError extends Error {
  readonly code = 'bad_file';
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
  }
}

export interface ZipMember {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the local file header. */
  headerOffset: number;
}

const SLICE = 1 << 20;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

const EOCD = 0x06054b50;
/** The end-of-central-directory record's fixed part; a comment of up to 64 KB may follow it. */
const EOCD_SIZE = 22;

/**
 * Offset of the last end-of-central-directory signature starting before `before` (default: anywhere), searching
 * only where a record followed by a comment could start; -1 when there is none.
 */
export function findEocd(bytes: Uint8Array, before = bytes.length): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - 0xffff);
  for (let i = Math.min(before - 1, bytes.length - EOCD_SIZE); i >= lowest; i--) {
    if (view.getUint32(i, true) === EOCD) return i;
  }
  return -1;
}

export function listZip(bytes: Uint8Array, file: string): ZipMember[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEocd(bytes);
  if (eocd < 0) throw new ZipError(file, 'not a complete zip (no end-of-central-directory record; truncated?)');
  const count = view.getUint16(eocd + 10, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError(file, 'ZIP64 archives are not supported');
  const members: ZipMember[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) {
      throw new ZipError(file, `corrupt zip: central directory entry ${i + 1} is damaged`);
    }
    const flags = view.getUint16(p + 8, true);
    const nameLen = view.getUint16(p + 28, true);
    const m: ZipMember = {
      name: new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen)),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      headerOffset: view.getUint32(p + 42, true),
    };
    if (flags & 1) throw new ZipError(file, `${m.name}: encrypted zip members are not supported`);
    if (m.size === 0xffffffff || m.compressedSize === 0xffffffff) throw new ZipError(file, 'ZIP64 archives are not supported');
    members.push(m);
    p += 46 + nameLen + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return members;
}

/** Yields a member's bytes in slices; throws ZipError (after the last slice) on a CRC or size mismatch. */
export function* inflateMember(bytes: Uint8Array, m: ZipMember, file: string): Generator<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = m.headerOffset;
  if (h + 30 > bytes.length || view.getUint32(h, true) !== 0x04034b50) throw new ZipError(file, `${m.name}: corrupt zip (bad local header)`);
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + m.compressedSize;
  if (end > bytes.length) throw new ZipError(file, `${m.name}: zip is truncated`);
  let crc = 0;
  let size = 0;
  if (m.method === 0) {
    for (let p = start; p < end; p += SLICE) {
      const part = bytes.subarray(p, Math.min(end, p + SLICE));
      crc = crc32(part, crc);
      size += part.length;
      yield part;
    }
  } else if (m.method === 8) {
    const out: Uint8Array[] = [];
    const inflater = new Inflate((chunk) => out.push(chunk));
    for (let p = start; p < end || p === start; p += SLICE) {
      const last = p + SLICE >= end;
      try {
        inflater.push(bytes.subarray(p, Math.min(end, p + SLICE)), last);
      } catch (err) {
        throw new ZipError(file, `${m.name}: corrupt zip data (${(err as Error).message})`);
      }
      for (const chunk of out.splice(0)) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        yield chunk;
      }
      if (last) break;
    }
  } else {
    throw new ZipError(file, `${m.name}: unsupported zip compression method ${m.method}`);
  }
  if (size !== m.size) throw new ZipError(file, `${m.name}: zip member is ${size} bytes, its header says ${m.size} (corrupt)`);
  if ((crc >>> 0) !== m.crc) throw new ZipError(file, `${m.name}: zip CRC mismatch (corrupt)`);
}

/** A whole member in one buffer (for zips nested inside zips, which NEMWEB's daily archives are). */
export function readMember(bytes: Uint8Array, m: ZipMember, file: string): Uint8Array {
  const out = new Uint8Array(m.size);
  let p = 0;
  for (const chunk of inflateMember(bytes, m, file)) {
    if (p + chunk.length > out.length) throw new ZipError(file, `${m.name}: zip member larger than its header says (corrupt)`);
    out.set(chunk, p);
    p += chunk.length;
  }
  return out;
}
