// Reads zip archives from a file or from memory without holding either whole: lists members from the central
// directory, then streams one member at a time through node:zlib's raw inflate, which runs on libuv's thread pool
// (the event loop stays free while a large member inflates). A member may not inflate past the size its header
// declares, nor a file past its InflateBudget, so a bomb costs bounded work. CRC-32 and size are checked at the end.
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import type { InflateBudget } from './ingest-limits.ts';

export class ZipError extends Error {
  readonly code = 'bad_file';
  constructor(
    readonly file: string,
    detail: string,
  ) {
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

/** Random access to a zip's bytes: a file on disk, or a buffer (a download, a zip nested in a zip). */
export interface ZipSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array): ZipSource {
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

export function fileSource(fh: FileHandle, size: number): ZipSource {
  return {
    size,
    async read(offset, length) {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      return buf.subarray(0, bytesRead);
    },
  };
}

const SLICE = 1 << 20;
/** zlib's output chunk: large enough that the thread-pool round trip per chunk is noise. */
const INFLATE_CHUNK = 256 << 10;

/** A local file header (a zip with members) or an end-of-central-directory record (an empty zip). */
export function isZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) return false;
  return (bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6);
}

const EOCD = 0x06054b50;
/** The end-of-central-directory record's fixed part; a comment of up to 64 KB may follow it. */
const EOCD_SIZE = 22;
const MAX_TAIL = EOCD_SIZE + 0xffff;

/**
 * Offset of the last end-of-central-directory signature starting before `before` (default: anywhere), searching
 * only where a record followed by a comment could start; -1 when there is none.
 */
export function findEocd(bytes: Uint8Array, before = bytes.length): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lowest = Math.max(0, bytes.length - MAX_TAIL);
  for (let i = Math.min(before - 1, bytes.length - EOCD_SIZE); i >= lowest; i--) {
    if (view.getUint32(i, true) === EOCD) return i;
  }
  return -1;
}

export async function listZip(src: ZipSource, file: string): Promise<ZipMember[]> {
  const tailStart = Math.max(0, src.size - MAX_TAIL);
  const tail = await src.read(tailStart, src.size - tailStart);
  const eocd = findEocd(tail);
  if (eocd < 0) throw new ZipError(file, 'not a complete zip (no end-of-central-directory record; truncated?)');
  const end = new DataView(tail.buffer, tail.byteOffset + eocd, EOCD_SIZE);
  const count = end.getUint16(10, true);
  const cdSize = end.getUint32(12, true);
  const cdOffset = end.getUint32(16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError(file, 'ZIP64 archives are not supported');
  if (cdOffset + cdSize > tailStart + eocd)
    throw new ZipError(file, 'corrupt zip: its central directory lies outside the file');
  const cd = await src.read(cdOffset, cdSize);
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const members: ZipMember[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || view.getUint32(p, true) !== 0x02014b50) {
      throw new ZipError(file, `corrupt zip: central directory entry ${i + 1} is damaged`);
    }
    const flags = view.getUint16(p + 8, true);
    const nameLen = view.getUint16(p + 28, true);
    const m: ZipMember = {
      name: new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen)),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      headerOffset: view.getUint32(p + 42, true),
    };
    if (flags & 1) throw new ZipError(file, `${m.name}: encrypted zip members are not supported`);
    if (m.size === 0xffffffff || m.compressedSize === 0xffffffff)
      throw new ZipError(file, 'ZIP64 archives are not supported');
    members.push(m);
    p += 46 + nameLen + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return members;
}

/**
 * Yields a member's bytes in chunks. Throws ZipError on corrupt data, as soon as it inflates past its declared size,
 * and (after the last chunk) on a CRC or size mismatch; the budget throws once the file has inflated too much.
 */
export async function* inflateMember(
  src: ZipSource,
  m: ZipMember,
  file: string,
  budget: InflateBudget,
): AsyncGenerator<Uint8Array> {
  const h = m.headerOffset;
  const header = await src.read(h, 30);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < 30 || view.getUint32(0, true) !== 0x04034b50)
    throw new ZipError(file, `${m.name}: corrupt zip (bad local header)`);
  const start = h + 30 + view.getUint16(26, true) + view.getUint16(28, true);
  const end = start + m.compressedSize;
  if (end > src.size) throw new ZipError(file, `${m.name}: zip is truncated`);
  let crc = 0;
  let size = 0;
  const count = (chunk: Uint8Array) => {
    size += chunk.length;
    // Checked as it grows: a member that lies about its size is refused before it costs more than it declared.
    if (size > m.size)
      throw new ZipError(file, `${m.name}: zip member inflates past the ${m.size} bytes its header says (corrupt)`);
    budget.take(chunk.length);
    crc = crc32(chunk, crc);
  };
  if (m.method === 0) {
    for await (const part of slices(src, start, end)) {
      count(part);
      yield part;
    }
  } else if (m.method === 8) {
    const input = Readable.from(slices(src, start, end), { objectMode: false });
    const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK });
    input.on('error', (err) => inflater.destroy(err));
    input.pipe(inflater);
    try {
      for await (const chunk of inflater as AsyncIterable<Buffer>) {
        count(chunk);
        yield chunk;
      }
    } catch (err) {
      if (!String((err as NodeJS.ErrnoException).code).startsWith('Z_')) throw err;
      throw new ZipError(file, `${m.name}: corrupt zip data (${(err as Error).message})`);
    } finally {
      // The consumer may stop early (a bad row, a limit): stop reading and inflating too.
      input.destroy();
      inflater.destroy();
    }
  } else {
    throw new ZipError(file, `${m.name}: unsupported zip compression method ${m.method}`);
  }
  if (size !== m.size)
    throw new ZipError(file, `${m.name}: zip member is ${size} bytes, its header says ${m.size} (corrupt)`);
  if (crc >>> 0 !== m.crc) throw new ZipError(file, `${m.name}: zip CRC mismatch (corrupt)`);
}

async function* slices(src: ZipSource, start: number, end: number): AsyncGenerator<Uint8Array> {
  for (let p = start; p < end; p += SLICE) yield await src.read(p, Math.min(SLICE, end - p));
}

/** A whole member in one buffer (for zips nested inside zips, which NEMWEB's daily archives are), up to `max` bytes. */
export async function readMember(
  src: ZipSource,
  m: ZipMember,
  file: string,
  budget: InflateBudget,
  max: number,
): Promise<Uint8Array> {
  if (m.size > max)
    throw new ZipError(file, `${m.name}: a nested zip of ${m.size} bytes, more than the ${max} allowed`);
  const out = new Uint8Array(m.size);
  let p = 0;
  for await (const chunk of inflateMember(src, m, file, budget)) {
    out.set(chunk, p);
    p += chunk.length;
  }
  return out;
}
