// Streaming parser for AEMO's MMS "C/I/D" CSV layout: `C` comment rows, an `I,CAT,REPORT,VERSION,col...` header
// before each table's `D,CAT,REPORT,VERSION,val...` rows, several tables per file, and a `C,"END OF REPORT",n`
// footer. It knows nothing about the store: a handler maps each I row to a row sink, or skips the table.
import { parseAemoTime } from '../../shared/nem.ts';
import { StoreError } from './db.ts';

/** A file the parser refuses; names the file (and zip member) and the 1-based line. */
export class MmsFormatError extends Error {
  readonly code = 'bad_file';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}: line ${line}: ${detail}`);
  }
}

export interface MmsTable {
  category: string;
  /** Empty in legacy tables such as `I,DREGION,,3`. */
  report: string;
  version: string;
  /** Column names from the I row, upper-cased, excluding the four leading fields. */
  columns: string[];
  /** Line of the I row. */
  line: number;
  /** Index of the named column in a D row's fields (which keep the four leading fields), or -1. */
  field(name: string): number;
}

/** Receives one table's D rows; throw an Error to reject the file at that line (a StoreError passes through). */
export type RowSink = (row: Fields, line: number) => void;

/** Called at each I row: return a sink for its D rows, or null to skip the table (its rows are counted). */
export type TableHandler = (table: MmsTable) => RowSink | null;

/**
 * One CSV line's field boundaries, reused for every line: sinks slice out only the fields they use, so a
 * 60-column PRICE row or a 4 M-row SCADA file allocates no per-row arrays. Quotes are excluded from the bounds.
 */
export class Fields {
  /** The text holding the current line (usually a whole chunk). */
  line = '';
  count = 0;
  private start = new Int32Array(256);
  private end = new Int32Array(256);
  private escaped = new Uint8Array(256);

  get(i: number): string {
    const s = this.line.slice(this.start[i], this.end[i]);
    return this.escaped[i] ? s.replace(/""/g, '"') : s;
  }

  /** Whether field i equals s, without slicing it out. */
  equals(i: number, s: string): boolean {
    return this.end[i] - this.start[i] === s.length && !this.escaped[i] && sameAt(this.line, this.start[i], s);
  }

  /** Splits text[from, to) (one line) on commas, honouring double quotes ("" inside quotes is one quote). */
  scan(text: string, from: number, to: number): void {
    this.line = text;
    let n = 0;
    let i = from;
    for (;;) {
      if (n === this.start.length) this.grow();
      if (i < to && text.charCodeAt(i) === 34) {
        let j = i + 1;
        let esc = 0;
        let q: number;
        for (;;) {
          q = text.indexOf('"', j);
          if (q < 0 || q >= to) throw new Error('unterminated quoted field');
          if (q + 1 >= to || text.charCodeAt(q + 1) !== 34) break;
          esc = 1;
          j = q + 2;
        }
        this.start[n] = i + 1;
        this.end[n] = q;
        this.escaped[n++] = esc;
        i = q + 1;
        if (i >= to) break;
        if (text.charCodeAt(i) !== 44) throw new Error('text after a closing quote');
        i++;
      } else {
        const c = text.indexOf(',', i);
        this.start[n] = i;
        this.escaped[n] = 0;
        if (c < 0 || c >= to) {
          this.end[n++] = to;
          break;
        }
        this.end[n++] = c;
        i = c + 1;
      }
    }
    this.count = n;
  }

  /** Offset just past the comma that ends the fourth field ("D,CAT,REPORT,VERSION,"). */
  end4(): number {
    return this.end[3] + 1;
  }

  private grow(): void {
    const cap = this.start.length * 2;
    const start = new Int32Array(cap),
      end = new Int32Array(cap),
      escaped = new Uint8Array(cap);
    start.set(this.start);
    end.set(this.end);
    escaped.set(this.escaped);
    [this.start, this.end, this.escaped] = [start, end, escaped];
  }
}

interface TableState {
  table: MmsTable;
  /** "D,CAT,REPORT,VERSION," as written in its first D row: later rows that start with it need no lookup. */
  prefix: string;
  width: number;
  sink: RowSink | null;
}

export class MmsParser {
  /** Rows of tables the handler skipped, by `CATEGORY REPORT`. */
  readonly skipped = new Map<string, number>();
  private readonly tables = new Map<string, TableState>();
  private readonly fields = new Fields();
  private current: TableState | null = null;
  private rest = '';
  private lineNo = 0;
  private footerLine = 0;

  constructor(
    readonly file: string,
    private readonly handler: TableHandler,
  ) {}

  /**
   * MMS files are ASCII; decoding as Latin-1 maps bytes to characters one to one, so a chunk boundary can never
   * split a character and a stray byte cannot fail the decode. Lines are parsed in place in the chunk's text.
   */
  push(chunk: Uint8Array): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const text = bytes.toString('latin1');
    let start = 0;
    if (this.rest) {
      // The line split across chunks gets its own string; the chunk stays a flat string (rest + text would be a
      // cons string, slow for every startsWith and slice below).
      const nl = text.indexOf('\n');
      if (nl < 0) {
        this.rest += text;
        return;
      }
      const first = this.rest + text.slice(0, nl);
      this.rest = '';
      this.line(first, 0, first.endsWith('\r') ? first.length - 1 : first.length);
      start = nl + 1;
    }
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(text, start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  /** Ends the input; throws when the file stops before its END OF REPORT footer (truncated). */
  end(): void {
    const tail = this.rest;
    this.rest = '';
    let cut = false;
    if (tail.length > 0) {
      cut = true;
      try {
        this.line(tail, 0, tail.endsWith('\r') ? tail.length - 1 : tail.length);
      } catch (err) {
        if (!(err instanceof MmsFormatError)) throw err;
        throw new MmsFormatError(this.file, err.line, `truncated: its last line is cut off mid-row (${err.detail})`);
      }
    }
    if (this.footerLine === 0) {
      const what = cut ? 'its last line is cut off mid-row' : 'it ends without its C,"END OF REPORT" footer';
      throw new MmsFormatError(this.file, Math.max(this.lineNo, 1), `truncated: ${what}`);
    }
  }

  private line(text: string, from: number, to: number): void {
    const n = ++this.lineNo;
    if (to === from) return;
    if (this.footerLine) this.fail(`data after the END OF REPORT footer (line ${this.footerLine})`);
    const kind = text.charCodeAt(from);
    if (to - from < 2 || text.charCodeAt(from + 1) !== 44 /* , */ || (kind !== 67 && kind !== 68 && kind !== 73)) {
      this.fail(
        `not an MMS row (expected C, I or D then a comma): ${JSON.stringify(text.slice(from, Math.min(to, from + 40)))}`,
      );
    }
    if (kind === 68 /* D */) return this.dataRow(text, from, to, n);
    if (kind === 73 /* I */) return this.headerRow(text, from, to, n);
    if (/^C,"?END OF REPORT"?(,|$)/.test(text.slice(from, Math.min(to, from + 40)))) this.footerLine = n;
  }

  private headerRow(text: string, from: number, to: number, n: number): void {
    const f = this.split(text, from, to);
    if (f.count < 5) this.fail(`I row has no columns`);
    const columns: string[] = [];
    const index = new Map<string, number>();
    for (let i = 4; i < f.count; i++) {
      const c = f.get(i).trim().toUpperCase();
      columns.push(c);
      if (!index.has(c)) index.set(c, i);
    }
    const table: MmsTable = {
      category: f.get(1).trim(),
      report: f.get(2).trim(),
      version: f.get(3).trim(),
      columns,
      line: n,
      field: (name) => index.get(name) ?? -1,
    };
    const width = f.count;
    let sink: RowSink | null;
    try {
      sink = this.handler(table);
    } catch (err) {
      this.sinkFailed(err);
    }
    const state: TableState = { table, prefix: '', width, sink };
    this.tables.set(`${table.category},${table.report},${table.version}`, state);
    this.current = state;
    const name = tableName(table);
    if (!sink) this.skipped.set(name, this.skipped.get(name) ?? 0);
  }

  private dataRow(text: string, from: number, to: number, n: number): void {
    let state = this.current;
    const fast = state !== null && state.prefix.length > 0 && sameAt(text, from, state.prefix);
    if (fast && !state!.sink) return this.skip(state!);
    const f = this.split(text, from, to);
    if (!fast) {
      if (f.count < 5) this.fail(`D row has fewer than five fields`);
      const key = `${f.get(1).trim()},${f.get(2).trim()},${f.get(3).trim()}`;
      state = this.tables.get(key) ?? null;
      if (!state) this.fail(`D row for ${key.replace(/,/g, ' ').trim()} before its I row`);
      const head = text.slice(from, f.end4());
      if (!state.prefix && !head.includes('"')) state.prefix = head;
      this.current = state;
      if (!state.sink) return this.skip(state);
    }
    if (f.count !== state!.width) {
      this.fail(`expected ${state!.width} fields as in the I row at line ${state!.table.line}, got ${f.count}`);
    }
    try {
      state!.sink!(f, n);
    } catch (err) {
      this.sinkFailed(err);
    }
  }

  private skip(state: TableState): void {
    const name = tableName(state.table);
    this.skipped.set(name, (this.skipped.get(name) ?? 0) + 1);
  }

  private split(text: string, from: number, to: number): Fields {
    try {
      this.fields.scan(text, from, to);
    } catch (err) {
      this.fail((err as Error).message);
    }
    return this.fields;
  }

  private fail(detail: string): never {
    throw new MmsFormatError(this.file, this.lineNo, detail);
  }

  /** A sink's error rejects the file at this line, unless the store failed under it (then the file is not to blame). */
  private sinkFailed(err: unknown): never {
    if (err instanceof StoreError) throw err;
    this.fail((err as Error).message);
  }
}

/** text.startsWith(s, at) without the builtin's per-call overhead; compares from the end, where times differ. */
function sameAt(text: string, at: number, s: string): boolean {
  if (at + s.length > text.length) return false;
  for (let k = s.length - 1; k >= 0; k--) if (text.charCodeAt(at + k) !== s.charCodeAt(k)) return false;
  return true;
}

export function tableName(t: Pick<MmsTable, 'category' | 'report'>): string {
  return t.report ? `${t.category} ${t.report}` : t.category;
}

/**
 * Parses AEMO times ("2026/04/01 00:05:00", NEM time) to epoch seconds, remembering the last value: rows
 * arrive sorted by interval, so most calls are a string comparison. Throws on anything else.
 */
export class TimeColumn {
  /** Never equal to a field: a blank field must be parsed (and rejected), not matched. */
  private last = '\u0000';
  private value = 0;
  constructor(readonly name: string) {}

  /** Field i of a row; the common case (same time as the last row) compares in place. */
  parse(row: Fields, i: number): number {
    if (row.equals(i, this.last)) return this.value;
    const s = row.get(i);
    const v = parseAemoTime(s);
    if (!Number.isFinite(v)) throw new Error(`${this.name}: not a date: ${JSON.stringify(s)}`);
    this.last = s;
    this.value = v;
    return v;
  }
}

/**
 * Largest magnitude a stored value may have. No AEMO quantity comes near (MW, $/MWh and MWh are below 1e6; a week's
 * cumulative price below 1e8), and the store's fixed-point sums need each term times 1e6 to fit a BIGINT
 * (fixed-sum.ts): one 1e300 stored would make every query over its interval fail.
 */
export const MAX_MAGNITUDE = 1e9;

/** A number column: blank is null (MMS's empty value); anything else that is not a finite number throws. */
export function parseNumber(s: string, name: string): number | null {
  if (s.length === 0) return null;
  const v = +s;
  // v - v is 0 only for finite numbers; +"" and +" " are 0, hence the trim for zeros alone.
  if (v - v !== 0) throw new Error(`${name}: not a number: ${JSON.stringify(s.slice(0, 40))}`);
  return v === 0 && s.trim().length === 0 ? null : v;
}

/** A value to store: parseNumber, and beyond MAX_MAGNITUDE throws. */
export function parseValue(s: string, name: string): number | null {
  const v = parseNumber(s, name);
  if (v !== null && Math.abs(v) > MAX_MAGNITUDE)
    throw new Error(`${name}: out of range: ${JSON.stringify(s.slice(0, 40))}`);
  return v;
}
