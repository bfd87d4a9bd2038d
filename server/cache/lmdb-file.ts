// Checks an LMDB data file before lmdb-js maps it. LMDB trusts its meta pages: a root or last page past the end of
// a truncated file, or a garbage meta picked for its txnid, ends the process with SIGBUS/SIGSEGV and no message,
// which no try/catch can stop. So the cheap invariants are read here first, in JS.
//
// Layout (lmdb-js's LMDB 0.9 fork, 64-bit): pages 0 and 1 each hold a page header (24 bytes) and a meta; with
// overlappingSync a third meta sits at half a page (no header check there: LMDB only compares its txnid).
import {
  closeSync,
  existsSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const DATA_FILE = 'data.mdb';
const LOCK_FILE = 'lock.mdb';

const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const PAGE_HEADER = 24;
const P_META = 0x08;
const META_BYTES = 0x98; // through mm_txnid
const NO_ROOT = 0xffffffffffffffffn; // P_INVALID: an empty tree

interface Meta {
  pageSize: number;
  lastPage: bigint;
  txnid: bigint;
  roots: bigint[];
  pages: bigint;
}

/**
 * Why the data file in `dir` would crash LMDB, or undefined when it looks sound, does not exist yet, or is open in a
 * live process. A file another process is writing reads as torn for a moment (a meta naming a page not yet on disk);
 * deleting it then would pull the cache from under every other worker. And one open elsewhere has not crashed it.
 */
export function lmdbFileProblem(dir: string): string | undefined {
  const path = join(dir, DATA_FILE);
  if (!existsSync(path) || inUse(dir)) return undefined;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return undefined; // LMDB initialises an empty file
    const read = (offset: number, length: number): Buffer | undefined => {
      const buf = Buffer.alloc(length);
      return offset + length <= size && readSync(fd, buf, 0, length, offset) === length ? buf : undefined;
    };
    const first = read(0, PAGE_HEADER + META_BYTES);
    if (!first) return `file of ${size} bytes is shorter than a meta page`;
    const head = checkPage(first, 0);
    if (typeof head === 'string') return head;
    const { pageSize } = head;
    if (size % pageSize !== 0) return `size ${size} is not a whole number of ${pageSize}-byte pages`;
    const second = read(pageSize, PAGE_HEADER + META_BYTES);
    if (!second) return 'file ends before the second meta page';
    const other = checkPage(second, 1);
    if (typeof other === 'string') return other;
    if (other.pageSize !== pageSize) return `meta pages disagree on the page size (${pageSize}, ${other.pageSize})`;
    const metas = [head, other];
    const half = read(pageSize / 2, PAGE_HEADER + META_BYTES);
    if (half) {
      const extra = parseMeta(half.subarray(PAGE_HEADER));
      if (extra.txnid !== 0n) {
        if (extra.pageSize !== pageSize) return 'the overlapping-sync meta has a wrong page size';
        metas.push(extra);
      }
    }
    const filePages = BigInt(size / pageSize);
    for (const m of metas) {
      if (m.lastPage < 1n || m.lastPage >= filePages)
        return `meta (txn ${m.txnid}) uses page ${m.lastPage} but the file has ${filePages} pages`;
      if (m.roots.some((r) => r !== NO_ROOT && (r < 2n || r > m.lastPage)))
        return `meta (txn ${m.txnid}) has a root page outside the file`;
      if (m.pages > m.lastPage) return `meta (txn ${m.txnid}) counts more pages than the file has`;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * LMDB holds a POSIX lock on its lock file for as long as a process has the environment open; Linux lists them in
 * /proc/locks as `major:minor:inode`. Elsewhere (no /proc) this says no, and a file being written may be taken for
 * a damaged one, as before.
 */
function inUse(dir: string): boolean {
  let id: string;
  let locks: string;
  try {
    const { dev, ino } = statSync(join(dir, LOCK_FILE));
    // Linux's dev_t: major in bits 8–19 (and above 32), minor in bits 0–7 and 20–31; printed as hex.
    const major = Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
    const minor = Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & 0xfff00n);
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    id = ` ${hex(major)}:${hex(minor)}:${ino} `;
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return false;
  }
  return locks.split('\n').some((line) => line.includes(id));
}

/** The lock file lmdb-js makes for its 126 reader slots (a larger one just holds more). */
const LOCK_BYTES = 8272;

/**
 * LMDB maps its lock file and writes it through the map; a sparse page that cannot be backed (full tmpfs) is a
 * SIGBUS. So a missing lock file is written out with real zeros first, and put in place atomically (link fails if
 * another process made one meanwhile). Throws (ENOSPC) when the disk cannot hold it: better no disk tier than a crash.
 */
export function ensureLockFile(dir: string): void {
  const path = join(dir, LOCK_FILE);
  if (existsSync(path)) return;
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, Buffer.alloc(LOCK_BYTES));
    linkSync(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Deletes the data and lock files (a cache is rebuilt, not repaired). */
export function removeLmdbFiles(dir: string): void {
  for (const name of [DATA_FILE, LOCK_FILE]) rmSync(join(dir, name), { force: true });
}

function checkPage(buf: Buffer, pageNo: number): Meta | string {
  const flags = buf.readUInt16LE(18);
  if (!(flags & P_META)) return `page ${pageNo} is not a meta page`;
  if (buf.readUInt32LE(PAGE_HEADER) !== MAGIC) return `page ${pageNo} has no LMDB magic`;
  if ((buf.readUInt32LE(PAGE_HEADER + 4) & 0xffff) !== DATA_VERSION)
    return `page ${pageNo} has an unknown LMDB version`;
  const meta = parseMeta(buf.subarray(PAGE_HEADER));
  const p = meta.pageSize;
  if (p < 512 || p > 65536 || (p & (p - 1)) !== 0) return `page ${pageNo} has an impossible page size ${p}`;
  return meta;
}

/**
 * MDB_meta: magic, version, address, mapsize, two MDB_db (48 bytes each; the first's md_pad is the page size), last
 * page, txnid.
 */
function parseMeta(m: Buffer): Meta {
  const db = (at: number) => ({
    pages: m.readBigUInt64LE(at + 8) + m.readBigUInt64LE(at + 16) + m.readBigUInt64LE(at + 24),
    root: m.readBigUInt64LE(at + 40),
  });
  const free = db(0x18);
  const main = db(0x48);
  return {
    pageSize: m.readUInt32LE(0x18),
    lastPage: m.readBigUInt64LE(0x78),
    txnid: m.readBigUInt64LE(0x80),
    roots: [free.root, main.root],
    pages: free.pages + main.pages,
  };
}
