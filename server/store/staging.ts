// A TEMP staging table filled through DuckDB's appender, 2,048-row data chunks at a time (one native call per
// chunk, not per value). Columns are numbers only: strings are coded through a Dict, so parsed rows never
// become JS objects. Rows are written straight into typed-array column buffers by the caller.
import {
  DOUBLE,
  DuckDBDataChunk,
  INTEGER,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
} from '@duckdb/node-api';
import { StoreError } from './db.ts';

const CHUNK = 2048; // DuckDB's vector size

export interface StageColumn {
  name: string;
  type: 'INTEGER' | 'DOUBLE';
}

/** A bulk CSV's rows (bulk-csv.ts): a SELECT giving them in the stage's columns, and the temp tables it reads. */
export interface BulkRows {
  select: string;
  tables: string[];
  /**
   * When no key needed trimming: a SELECT giving them as they are stored (interval, keys as text, values), which a lone
   * bulk CSV with no repeated key is then stored from directly, without coding its keys and decoding them again.
   */
  stored?: string;
}

export class Stage {
  /** Column buffers; a DOUBLE column's NaN means NULL (parsers never produce NaN). */
  readonly cols: (Int32Array | Float64Array)[];
  /** Rows added so far. */
  count = 0;
  /** False while rows arrived in interval order (AEMO's files are). */
  unsorted = false;
  /** False when no (interval, key) can repeat, so the latest-revision pass can be skipped. */
  maybeDuplicates = false;
  private pos = 0;
  private lastTs = -Infinity;
  private generation = 0;
  private readonly seen = new Int32Array(4096);
  private readonly bulk: (BulkRows & { seqs: number })[] = [];
  /** The bulk CSVs' tables, copied in or not: dropped with the stage. */
  private readonly owned: string[][] = [];

  private constructor(
    readonly table: string,
    private readonly columns: StageColumn[],
    private appender: DuckDBAppender | null,
  ) {
    this.cols = columns.map((c) => (c.type === 'INTEGER' ? new Int32Array(CHUNK) : new Float64Array(CHUNK)));
  }

  static async create(conn: DuckDBConnection, table: string, columns: StageColumn[]): Promise<Stage> {
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} (${columns.map((c) => `${c.name} ${c.type}`).join(', ')})`);
    return new Stage(table, columns, await conn.createAppender(table, 'main', 'temp'));
  }

  /** The buffer row to fill for a new row. */
  next(): number {
    if (this.pos === CHUNK) this.flush();
    this.count++;
    return this.pos++;
  }

  /**
   * Notes a row's interval and key hash. Keys are hashed into a small table, so a collision only costs a
   * needless deduplication; a real repeat is never missed.
   */
  track(ts: number, keyHash: number): void {
    if (ts !== this.lastTs) {
      if (ts < this.lastTs) this.unsorted = this.maybeDuplicates = true;
      this.lastTs = ts;
      this.generation++;
    }
    const slot = keyHash & 4095;
    if (this.seen[slot] === this.generation) this.maybeDuplicates = true;
    else this.seen[slot] = this.generation;
  }

  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** Bulk CSVs handed over so far (bulk-csv.ts names their tables by it). */
  get bulkCount(): number {
    return this.owned.length;
  }

  /**
   * Takes a bulk CSV's rows (bulk-csv.ts): `rows.select` gives them in this table's columns, numbered count + 1 ..
   * count + `seqs` in file order (some numbers unused), in time order, from `rows.tables`, which the stage now owns;
   * `repeats` when an (interval, key) may occur twice among them. Rows staged either way before or after are taken as
   * unordered.
   */
  addBulk(rows: BulkRows, seqs: number, repeats: boolean): void {
    if (this.count > 0) this.unsorted = this.maybeDuplicates = true;
    if (repeats) this.maybeDuplicates = true;
    this.count += seqs;
    this.lastTs = Infinity;
    this.bulk.push({ ...rows, seqs });
    this.owned.push(rows.tables);
  }

  /**
   * What the latest-revision pass reads, once the stage is closed: a lone bulk CSV's rows where DuckDB read them (a
   * month of SCADA is not copied once more), else the staging table with the bulk CSVs' rows copied in.
   */
  async source(conn: DuckDBConnection): Promise<string> {
    if (this.bulk.length === 1 && this.count === this.bulk[0].seqs) return `(${this.bulk[0].select})`;
    for (const b of this.bulk.splice(0)) await conn.run(`INSERT INTO ${this.table} ${b.select}`);
    return this.table;
  }

  /** The rows as stored, when a lone bulk CSV holds them all and none needs the latest-revision pass. */
  get stored(): string | undefined {
    const lone = this.bulk.length === 1 && this.count === this.bulk[0].seqs;
    return lone && !this.maybeDuplicates && !this.unsorted ? this.bulk[0].stored : undefined;
  }

  /** Every temp table the stage holds, to drop. */
  get tables(): string[] {
    return [this.table, ...this.owned.flat()];
  }

  /** Appends what is buffered and closes the appender; the table is then ready to query. */
  close(): void {
    if (!this.appender) return;
    this.flush();
    try {
      this.appender.closeSync();
    } catch (err) {
      throw new StoreError(`staging ${this.table}`, err);
    }
    this.appender = null;
  }

  private flush(): void {
    const n = this.pos;
    if (n === 0 || !this.appender) return;
    const chunk = DuckDBDataChunk.create(
      this.columns.map((c) => (c.type === 'INTEGER' ? INTEGER : DOUBLE)),
      n,
    );
    this.columns.forEach((c, i) => {
      const vector = chunk.getColumnVector(i);
      const buf = this.cols[i];
      if (c.type === 'INTEGER') {
        for (let r = 0; r < n; r++) vector.setItem(r, buf[r]);
      } else {
        for (let r = 0; r < n; r++) vector.setItem(r, buf[r] === buf[r] ? buf[r] : null);
      }
      vector.flush();
    });
    try {
      // Flushes run inside the parser's row sinks: typed, so the failure is not taken for a bad row.
      this.appender.appendDataChunk(chunk);
    } catch (err) {
      throw new StoreError(`staging ${this.table}`, err);
    }
    this.pos = 0;
  }
}

/** Codes strings (DUIDs, regions, types) as small integers for staging; written once to a TEMP table. */
export class Dict {
  private readonly codes = new Map<string, number>();
  private readonly values: string[] = [];

  code(s: string): number {
    let c = this.codes.get(s);
    if (c === undefined) {
      // Flatten: a substring of a parsed chunk would otherwise keep the whole chunk alive.
      const flat = Buffer.from(s, 'utf8').toString('utf8');
      c = this.values.length;
      this.values.push(flat);
      this.codes.set(flat, c);
    }
    return c;
  }

  async write(conn: DuckDBConnection, table: string): Promise<void> {
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} (code INTEGER, s VARCHAR)`);
    const appender = await conn.createAppender(table, 'main', 'temp');
    for (let start = 0; start < this.values.length; start += CHUNK) {
      const n = Math.min(CHUNK, this.values.length - start);
      const chunk = DuckDBDataChunk.create([INTEGER, VARCHAR], n);
      chunk.setColumnValues(
        0,
        Array.from({ length: n }, (_, i) => start + i),
      );
      chunk.setColumnValues(1, this.values.slice(start, start + n));
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
  }
}
