// Is a file that is still arriving finished? Writers copy in pieces; the feed must not ingest half a file.
import { isNoticeName } from '../alerts/notices.ts';
import { findEocd } from '../store/zip.ts';

/** Temporary names that downloaders and copy tools use until a file is whole. */
function isTemporaryName(name: string): boolean {
  return /\.(tmp|part|partial|crdownload|download|swp)$/i.test(name) || name.startsWith('.') || name.startsWith('~');
}

/** File names the live feeds take: AEMO reports, plain or zipped, and market notices (plain text). */
export function isReportName(name: string): boolean {
  return (/\.(zip|csv)$/i.test(name) || isNoticeName(name)) && !isTemporaryName(name);
}

const EOCD_MIN = 22;

/**
 * A zip is whole when its end-of-central-directory record is there and the central directory it points to lies
 * inside the file: zip writers put both last, so a file still being copied lacks them.
 */
export function zipLooksComplete(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The record may be followed by a comment: a signature whose comment does not end the file is not the record.
  for (let i = findEocd(bytes); i >= 0; i = findEocd(bytes, i)) {
    const cdSize = view.getUint32(i + 12, true);
    const cdOffset = view.getUint32(i + 16, true);
    const commentLength = view.getUint16(i + 20, true);
    if (i + EOCD_MIN + commentLength !== bytes.length) continue;
    if (cdOffset === 0xffffffff) return true; // zip64: trust the record's presence
    return cdOffset + cdSize <= i;
  }
  return false;
}

/** AEMO CSV reports end with a `C,"END OF REPORT",n` row; its presence proves the file is whole. */
export function csvHasEndMarker(bytes: Uint8Array): boolean {
  const tail = new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - 200)));
  return /(^|\n)C,"?END OF REPORT"?,/.test(tail);
}
