// The bulk path for large CSVs (a month of MMSDM: 4.9 M SCADA rows): DuckDB's own CSV reader parses the rows, in
// parallel and natively, instead of the row parser (mms.ts) looping over them in JavaScript, which is ~10x slower.
// The CSV is spooled to a scratch file (it usually comes out of a zip; DuckDB cannot read zip members), its header
// read by the same MmsParser, its columns found by the same names (mms-tables.ts sourceFields), and its rows handed to
// the same Stage as the row parser's (as a query over the table DuckDB read them into: a file of one CSV is then never
// copied into the staging table), so everything after staging (latest revision, apply, rollups) is shared. The bulk
// path takes only the plain case: one table, rows of its I row's width, a footer, every value well formed. Anything
// else (a second table, a bad row, a DuckDB parse error) returns false and the caller parses
// the spooled file with the row parser, whose answer (rows, notes, error and its line) is then the file's.
import { isAscii } from 'node:buffer';
import { open, truncate } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { NEM_OFFSET_S } from '../../shared/nem.ts';
import { MAX_MAGNITUDE, type MmsTable, MmsParser, tableName } from './mms.ts';
import { type SinkStats, type SourceFields, type Target, TARGETS, sourceFields } from './mms-tables.ts';
import type { Dict, Stage } from './staging.ts';
import type { LineGuard } from './ingest-limits.ts';

/** CSVs at least this large (inflated) take the bulk path; the live feed's files (a few KB) never do. */
export const BULK_MIN_BYTES = 8 << 20;
/** Lines before the first D row are read into memory to find the header; a header longer than this is not plain. */
const MAX_HEAD = 256 << 10;
const MAX_TAIL = 64 << 10;
/**
 * DuckDB's CSV buffer: a month of SCADA (390 MB) read a quarter faster with 32 MiB buffers than with the default, on
 * 2 threads (8 and 64 MiB measured between the two).
 */
const READ_BUFFER = 32 << 20;

/** A CSV copied to a scratch file from its first D row on; the lines before (its header) are kept in memory. */
export interface Spool {
  path: string;
  /** The bytes before the first D row (C rows and the I row), not in the file; all the CSV when no D row was found. */
  head: Buffer;
  /** Whether a D row was found (within the first 256 KB). */
  rows: boolean;
  bytes: number;
  /** Line breaks in the file before its footer: the rows DuckDB must return. */
  lines: number;
  /** Byte offset in the file of the last non-empty line when it is the END OF REPORT footer, else -1. */
  footerAt: number;
  /** The first D row's four leading fields as written, with the comma after them (`D,DISPATCH,UNIT_SCADA,1,`). */
  prefix: Buffer | null;
  /**
   * Byte offset in the file of the first line that does not start with `prefix` (Infinity when none): a file whose
   * lines before the footer all do holds rows of one table only, which DuckDB need not read the leading fields of.
   */
  odd: number;
  /**
   * Whether every byte is ASCII. DuckDB's reader takes a CSV as UTF-8, where the row parser reads bytes as Latin-1,
   * so a name with other bytes would be stored otherwise; and an invalid UTF-8 byte in a column the query does not
   * read fails DuckDB internally (1.5), which invalidates the whole database.
   */
  ascii: boolean;
}

/**
 * A spool's line breaks counted and, when the first row's leading fields were found, the line starts after them
 * checked against those, across chunk boundaries: one pass over each chunk's breaks.
 */
class Lines {
  breaks = 0;
  /** See Spool.odd; 0 with no prefix, as no line is then known to hold one table's rows. */
  odd: number;
  private carry: Buffer | null = null;
  private carryAt = 0;

  constructor(readonly prefix: Buffer | null) {
    this.odd = prefix ? Infinity : 0;
  }

  /** `buf` is the file's bytes from offset `at`. */
  scan(buf: Buffer, at: number): void {
    if (this.carry) {
      // A break among the bytes joined here makes the carried line odd, so the loop below need not skip them.
      const joined = Buffer.concat([this.carry, buf.subarray(0, this.prefix!.length - this.carry.length)]);
      this.carry = null;
      this.check(joined, 0, this.carryAt);
    }
    for (let p = buf.indexOf(10); p >= 0; p = buf.indexOf(10, p + 1)) {
      this.breaks++;
      if (this.odd === Infinity) this.check(buf, p + 1, at);
    }
  }

  /** At the end: a line too short for the prefix (not the empty one after a last line break) is odd. */
  end(): void {
    if (this.carry && this.carry.length > 0) this.odd = Math.min(this.odd, this.carryAt);
  }

  /** A line ending before the prefix does differ (no prefix holds a line break); one cut off is carried. */
  private check(buf: Buffer, s: number, at: number): void {
    const prefix = this.prefix!;
    const m = Math.min(prefix.length, buf.length - s);
    for (let i = 0; i < m; i++) if (buf[s + i] !== prefix[i]) return void (this.odd = at + s);
    if (m < prefix.length) {
      this.carry = Buffer.from(buf.subarray(s));
      this.carryAt = at + s;
    }
  }
}

/** A D row's first four fields and the comma after them, when the row has them before its end. */
function leadingFields(row: Buffer): Buffer | null {
  let p = -1;
  for (let i = 0; i < 4; i++) {
    p = row.indexOf(44, p + 1);
    if (p < 0) return null;
  }
  const lead = row.subarray(0, p + 1);
  return lead.includes(10) || lead.includes(34) ? null : Buffer.from(lead);
}

/** Copies `chunks` to `path`, checking line lengths as the row parser does, and noting the header and footer. */
export async function spool(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  path: string,
  guard: LineGuard,
): Promise<Spool> {
  const fh = await open(path, 'w');
  let head = Buffer.alloc(0);
  let rows = false;
  let bytes = 0;
  // The last MAX_TAIL bytes at least, as the chunks that hold them (copied once, at the end).
  const tail: Buffer[] = [];
  let tailBytes = 0;
  // Replaced once the first D row is found, before anything is written.
  let lines = new Lines(null);
  let ascii = true;
  const write = async (buf: Buffer) => {
    await fh.write(buf);
    ascii &&= isAscii(buf);
    lines.scan(buf, bytes);
    bytes += buf.length;
    tail.push(buf);
    tailBytes += buf.length;
    while (tail.length > 1 && tailBytes - tail[0].length >= MAX_TAIL) tailBytes -= tail.shift()!.length;
  };
  let headDone = false;
  try {
    for await (const chunk of chunks) {
      guard.check(chunk);
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (headDone) {
        await write(buf);
        continue;
      }
      head = Buffer.concat([head, buf]);
      const d = head.indexOf('\nD,');
      // The first D row's leading fields whole, or known not to be there (a line break or quote before them).
      const first = d >= 0 ? head.subarray(d + 1) : undefined;
      const fields = first && leadingFields(first);
      if (first && d < MAX_HEAD && (fields !== null || first.includes(10) || first.includes(34))) {
        headDone = rows = true;
        lines = new Lines(fields ?? null);
        await write(first);
        head = head.subarray(0, d + 1);
      } else if (head.length > MAX_HEAD) {
        // Not plain: the rest goes to the file, for the row parser.
        headDone = true;
        await write(head);
        head = Buffer.alloc(0);
      }
    }
  } finally {
    await fh.close();
  }
  lines.end();
  const end = Buffer.concat(tail);
  const text = withoutBreaks(end.toString('latin1'));
  const last = text.lastIndexOf('\n') + 1;
  const footer = /^C,"?END OF REPORT"?(,|$)/.test(text.slice(last, last + 40));
  const footerAt = footer ? bytes - end.length + last : -1;
  const afterFooter = footer ? end.subarray(last).reduce((n, b) => n + (b === 10 ? 1 : 0), 0) : 0;
  return {
    path,
    head,
    rows,
    bytes,
    lines: lines.breaks - afterFooter,
    footerAt,
    prefix: lines.prefix,
    odd: lines.odd,
    ascii: ascii && isAscii(head),
  };
}

/**
 * `text` without the line breaks that end it, as the row parser reads them: `\r\r\n` is a line holding `\r`, not an
 * empty one, so only `\n`, `\r\n` and a last lone `\r` go. A loop, not a regex: `[\r\n]+$` backtracks over every run
 * of breaks from each of its starts, quadratic in it (a tail of 128 K newlines then a letter held the event loop
 * 14 s; the tail holds chunks whole, so a few MB of them held it for hours).
 */
function withoutBreaks(text: string): string {
  let e = text.length;
  if (e > 0 && text.charCodeAt(e - 1) === 13) e--;
  while (e > 0 && text.charCodeAt(e - 1) === 10) e -= e > 1 && text.charCodeAt(e - 2) === 13 ? 2 : 1;
  return text.slice(0, e);
}

export interface BulkResult {
  target: Target;
  table: string;
  /** Rows staged. */
  rows: number;
}

/**
 * Stages a spooled CSV's rows with DuckDB's reader; `staged` null when the file is not the plain case (see the top
 * of the file), with nothing staged. The spool may be cut before its footer here: `footer` is then the bytes cut.
 */
export async function bulkStage(
  conn: DuckDBConnection,
  name: string,
  s: Spool,
  stages: Record<Target, Stage>,
  dict: Dict,
  stats: SinkStats,
): Promise<{ staged: BulkResult | null; footer: Buffer | null }> {
  const none = { staged: null, footer: null };
  // Every line before the footer a D row with the first one's leading fields (the rest read by DuckDB, each checked).
  if (!s.rows || !s.ascii || s.footerAt < 0 || !s.prefix || s.odd < s.footerAt) return none;
  const table = headerTable(name, s.head);
  const fields = table && sourceFields(table);
  if (!table || !fields || !rowsOf(table, s.prefix)) return none;
  const fh = await open(s.path, 'r');
  const footer = Buffer.alloc(s.bytes - s.footerAt);
  try {
    await fh.read(footer, 0, footer.length, s.footerAt);
  } finally {
    await fh.close();
  }
  await truncate(s.path, s.footerAt);
  const target = fields.src.target;
  const stage = stages[target];
  // The rows stay in these tables until the file is applied (Stage.addBulk): dropped here unless handed over.
  const rowsTable = `${stage.table}_bulk${stage.bulkCount}`;
  const codesTable = `${stage.table}_codes${stage.bulkCount}`;
  let kept = false;
  try {
    try {
      await conn.run(readSql(rowsTable, s.path, table, fields));
    } catch {
      return { staged: null, footer }; // DuckDB's reader refused a row: the row parser says which and why
    }
    const keys = fields.keys.map((_, k) => `k${k}`);
    const values = fields.values.map((_, v) => `v${v}`);
    // `pairs` counts the (interval, key as written) pairs by their 64-bit hash: fewer than the rows kept when a
    // pair repeats (or, rarely, two hashes collide: then the latest-revision pass only runs needlessly).
    const check = (
      await conn.runAndReadAll(`SELECT count(*) FILTER (NOT iv_ok)::INTEGER AS intervention,
      count(*) FILTER (iv_ok AND v0 IS NULL)::INTEGER AS blank,
      count(*) FILTER (keep AND (ts IS NULL
        OR ${values.map((v) => `NOT coalesce(abs(${v}) <= ${MAX_MAGNITUDE}, TRUE)`).join(' OR ')}))::INTEGER AS bad,
      count(*) FILTER (refused)::INTEGER AS refused,
      count(*) FILTER (keep)::INTEGER AS n, count(*)::INTEGER AS total,
      count(DISTINCT hash(ts, ${keys.join(', ')})) FILTER (keep)::INTEGER AS pairs
    FROM ${rowsTable}`)
    ).getRowObjectsJS()[0];
    // Every line a row (DuckDB's reader can skip lines it takes for blank or broken: then it is not the plain case).
    const odd = Number(check.bad) + Number(check.refused);
    if (odd > 0 || Number(check.total) !== s.lines) return { staged: null, footer };
    const n = Number(check.n);
    if (n > 0) {
      // Keys are trimmed as the row parser trims them, once per distinct name rather than once per row; a blank one
      // is not the plain case.
      const names = (
        await conn.runAndReadAll(
          `SELECT DISTINCT k FROM (${keys.map((k) => `SELECT ${k} AS k FROM ${rowsTable} WHERE keep`).join(' UNION ALL ')})`,
        )
      ).getRowsJS();
      const trimmed = names.map(([k]) => (k === null ? '' : String(k).trim()));
      if (trimmed.some((k) => k === '')) return { staged: null, footer };
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${codesTable} (code INTEGER, s VARCHAR)`);
      const app = await conn.createAppender(codesTable, 'main', 'temp');
      names.forEach(([k], i) => {
        app.appendInteger(dict.code(trimmed[i]));
        app.appendVarchar(String(k));
        app.endRow();
      });
      app.closeSync();
      // A repeated (interval, key) needs the latest-revision pass: a pair counted twice, or two names written
      // differently that trim to one. Time order is not checked: AEMO's files are in it, and a file that is not is
      // stored right, only less compactly.
      const repeats = Number(check.pairs) < n || new Set(trimmed).size < trimmed.length;
      const base = stage.count;
      const cols = stage.columnNames;
      const joins = keys.map((k, i) => `JOIN ${codesTable} c${i} ON c${i}.s = b.${k}`).join(' ');
      const select = `SELECT b.ts AS ${cols[0]}, ${keys.map((_, i) => `c${i}.code AS ${cols[1 + i]}`).join(', ')},
      ${values.map((v, i) => `b.${v} AS ${cols[1 + keys.length + i]}`).join(', ')}, b.lc AS lc, ${base} + 1 + b.rowid AS seq
      FROM ${rowsTable} b ${joins} WHERE b.keep`;
      const { keys: keyNames, values: valueNames } = TARGETS[target];
      const stored = names.every(([k], i) => String(k) === trimmed[i])
        ? `SELECT ts, ${keys.map((k, i) => `${k} AS ${keyNames[i]}`).join(', ')},
          ${values.map((v, i) => `${v} AS ${valueNames[i]}`).join(', ')} FROM ${rowsTable} WHERE keep`
        : undefined;
      stage.addBulk({ select, tables: [rowsTable, codesTable], stored }, Number(check.total), repeats);
      kept = true;
    }
    stats.intervention += Number(check.intervention);
    stats.blank += Number(check.blank);
    return { staged: { target, table: tableName(table), rows: n }, footer };
  } finally {
    if (!kept)
      await conn.run(`DROP TABLE IF EXISTS temp.main.${rowsTable}; DROP TABLE IF EXISTS temp.main.${codesTable}`);
  }
}

/** Whether a D row's leading fields (as the row parser reads them: trimmed) are `table`'s. */
function rowsOf(table: MmsTable, prefix: Buffer): boolean {
  const [d, category, report, version] = prefix.toString('latin1').split(',');
  return (
    d === 'D' &&
    category.trim() === table.category &&
    report.trim() === table.report &&
    version.trim() === table.version
  );
}

/** The I row of a header of C rows and exactly one I row (the row parser reads it); null for anything else. */
function headerTable(name: string, head: Buffer): MmsTable | null {
  const text = head.toString('latin1');
  if (text.split('\n').filter((l) => l.startsWith('I,')).length !== 1) return null;
  if (!text.split('\n').every((l) => l.replace(/\r$/, '') === '' || /^[CI],/.test(l))) return null;
  let table: MmsTable | null = null;
  try {
    new MmsParser(name, (t) => ((table = t), null)).push(head);
  } catch {
    return null;
  }
  return table;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * `into`: one row per line of the spool (the D rows, footer cut off), in file order (rowid), with the target's
 * columns typed (keys as written: the codes table maps them to their trimmed codes) and the flags the check reads:
 * `iv_ok` (the market run), `keep` (staged), `refused` (a number DuckDB's cast reads and the row parser refuses the
 * file for, so such a file is not the plain case: one written with an underscore, `1_000`, or an INTERVENTION that is
 * NaN or infinite, which the cast reads as a run other than 0 and the row parser as no number). Numbers are read as
 * text and cast here so that only number columns are looked at: DUIDs such as `WINGF1_1` are names, not grouped
 * digits.
 */
function readSql(into: string, path: string, table: MmsTable, f: SourceFields): string {
  const width = 4 + table.columns.length;
  const time = new Set([f.time, f.lastChanged].filter((i) => i >= 0));
  const num = new Set([...f.values, f.intervention].filter((i) => i >= 0));
  const columns = Array.from({ length: width }, (_, i) => `'c${i}': '${time.has(i) ? 'TIMESTAMP' : 'VARCHAR'}'`).join(
    ', ',
  );
  const epoch = (i: number) => `CAST(epoch(c${i}) AS INTEGER) - ${NEM_OFFSET_S}`;
  const ivOk = f.intervention >= 0 ? `coalesce(c${f.intervention}::DOUBLE = 0, FALSE)` : 'TRUE';
  const refused = [
    ...[...num].map((i) => `coalesce(strpos(c${i}, '_') > 0, FALSE)`),
    // Values beyond finite are counted as bad where the row parser reads them (kept rows only).
    ...(f.intervention >= 0 ? [`NOT coalesce(isfinite(c${f.intervention}::DOUBLE), TRUE)`] : []),
  ];
  // The leading fields are not read: the spool found them on every line (reading them cost a quarter of the read).
  return `CREATE OR REPLACE TEMP TABLE ${into} AS
SELECT *, iv_ok AND v0 IS NOT NULL AS keep FROM (
  SELECT ${ivOk} AS iv_ok, ${refused.join(' OR ') || 'FALSE'} AS refused,
    ${epoch(f.time)} AS ts,
    ${f.keys.map((k, i) => `c${k} AS k${i}`).join(', ')},
    ${f.values.map((v, i) => `${v < 0 ? 'NULL' : `c${v}`}::DOUBLE AS v${i}`).join(', ')},
    ${f.lastChanged >= 0 ? `coalesce(${epoch(f.lastChanged)}, 0)` : '0'} AS lc
  FROM read_csv(${sqlString(path)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"',
    buffer_size = ${READ_BUFFER}, timestampformat = '%Y/%m/%d %H:%M:%S', columns = {${columns}}))`;
}
