// The on-disk envelope of one cached answer: magic, format, length and CRC-32 ahead of the payload, so a
// damaged or foreign value is recognised and dropped instead of being sent to a client.
import { crc32 } from 'node:zlib';

/** Bump when the meaning of stored bytes changes; the disk tier keeps each format in its own databases. */
export const DISK_FORMAT = 1;
export const HEADER_BYTES = 12;
const MAGIC_0 = 0x4e; // 'N'
const MAGIC_1 = 0x4c; // 'L'

export function seal(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafeSlow(HEADER_BYTES + payload.byteLength);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = DISK_FORMAT;
  out[3] = 0;
  out.writeUInt32LE(payload.byteLength, 4);
  out.writeUInt32LE(crc32(payload), 8);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** True when `stored` is a whole, undamaged envelope of the current format. */
// Use .length, not .byteLength: lmdb-js's fast-read buffer reports its whole backing size as byteLength.
export function isIntact(stored: Uint8Array): boolean {
  if (stored.length < HEADER_BYTES) return false;
  if (stored[0] !== MAGIC_0 || stored[1] !== MAGIC_1 || stored[2] !== DISK_FORMAT) return false;
  const view = new DataView(stored.buffer, stored.byteOffset, HEADER_BYTES);
  if (view.getUint32(4, true) !== stored.length - HEADER_BYTES) return false;
  return view.getUint32(8, true) === crc32(stored.subarray(HEADER_BYTES, stored.length));
}

/** The payload of an intact envelope, copied out (the source may be a volatile LMDB buffer). */
export function open(stored: Uint8Array): Uint8Array {
  // Not zero-filled (it is overwritten at once) and not pooled (exact size, so the LRU keeps it as is).
  const out = Buffer.allocUnsafeSlow(stored.length - HEADER_BYTES);
  out.set(stored.subarray(HEADER_BYTES, stored.length));
  return out;
}
