// Imports ONE file: its CSV(s) are parsed into TEMP staging tables through the appender, reduced to the latest
// revision of each (interval, key), then applied in one transaction: anti-join delete + insert per table, then
// the rollups for the window the file touched. Any error rolls the whole file back, so nothing stored is lost.
// A file read by the bulk path (a month of MMSDM) has its rollups computed in a second transaction, after its rows are
// committed: DuckDB scans rows its transaction has not committed yet ~7x slower (a month of SCADA: 12-14 s of CPU
// against 1.9 s), so in one transaction the rollups were most of the ingest. Until the second commits, the window is
// noted in meta (rollups.ts markRollupsPending) and openStore recomputes a window a crash left pending.
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { inTransaction, readWatermark } from './db.ts';
import { CDEII_TABLE, FactorRows } from './cdeii.ts';
import { MmsParser, tableName } from './mms.ts';
import { DEFAULT_FORECAST_DAYS, type ForecastTable, pruneForecasts, SHOWN_AFTER_S } from './forecasts.ts';
import { IGNORED, type SinkStats, TARGETS, type Target, hasRun, sinkFor, stageColumns } from './mms-tables.ts';
import { demandForStagedPrices, demandOntoPrices } from './regionsum.ts';
import { markRollupsPending, refreshPendingRollups, refreshRollups, ROOFTOP_CARRY_S } from './rollups.ts';
import { Dict, Stage } from './staging.ts';
import { bumpDataVersion } from './version.ts';
import { widen, type Window } from './window.ts';
import { DEFAULT_LIMITS, InflateBudget, type IngestLimits, LineGuard } from './ingest-limits.ts';
import { BULK_MIN_BYTES, bulkStage, spool } from './bulk-csv.ts';
import {
  type ZipSource,
  ZipError,
  bufferSource,
  fileSource,
  inflateMember,
  isZip,
  listZip,
  readMember,
} from './zip.ts';

export interface FileReport {
  file: string;
  /** Rows written per store table; `units` the registry. */
  rows: Record<string, number>;
  /** MMS tables in the file that are not imported, with their row counts. */
  skipped: Record<string, number>;
  /** Rows left out and why, non-CSV zip members, ignored tables. */
  notes: string[];
  /**
   * Interval-end times (epoch s) of the 5-minute intervals the rows written are about (a rooftop half hour: its six,
   * so a file landing after the watermark's interval but about it counts as a revision), and for forecasts the
   * watermarks from which their runs are shown (server/store/forecasts.ts); null when none.
   */
  window: Window | null;
  ms: number;
  /** CSVs read by DuckDB's reader (bulk-csv.ts) rather than the row parser; absent when none. */
  bulk?: number;
  /** Set when the file was rejected: nothing from it was stored. */
  error?: string;
}

/** In TARGETS' order, which is the apply order. */
const TARGET_NAMES = Object.keys(TARGETS) as Target[];
/** How far before its interval end a row's value reaches: the rollup window it invalidates. */
// unit_dispatch: its UIGF goes into unit_curtailment_1d and its ENERGY_STORAGE into battery_1d (NEXT_DAY_DISPATCH
// arrives a day after the SCADA).
const SPAN: Partial<Record<Target, number>> = {
  scada: 300,
  price: 300,
  interconnector: 300,
  rooftop: 1800,
  unit_dispatch: 300,
};
const READ_SLICE = 1 << 20;
/** Zips inside zips: NEMWEB's daily archives are one level deep; a deeper nest is refused (recursive bombs). */
const MAX_ZIP_DEPTH = 2;

export interface ImportOptions {
  /** Bounds on inflated size, line length and nested zips (ingest-limits.ts DEFAULT_LIMITS); a file past one is bad. */
  limits?: Partial<IngestLimits>;
  /** Where a large CSV is spooled for DuckDB's reader (bulk-csv.ts); default the OS's temp folder. */
  scratchDir?: string;
  /** CSVs from this many bytes take the bulk path (default BULK_MIN_BYTES; tests set 0 to compare both paths). */
  bulkMinBytes?: number;
  /** Days of forecast runs kept (FORECAST_DAYS; server/store/forecasts.ts): older runs are pruned at each write. */
  forecastDays?: number;
  /**
   * Leaves the rollups of what a file writes noted pending (rollups.ts markRollupsPending) for the caller to compute
   * once after many files (a backfill: refreshPendingRollups at its end) instead of after each; a crash before then
   * leaves them for openStore.
   */
  deferRollups?: boolean;
}

/**
 * Parses a file into staging through `feed`, then applies it. Throws an IngestError naming the file: 'bad_file' for
 * the typed format errors (MmsFormatError, ZipError), 'store_failed' for anything else (DuckDB, the disk).
 */
export async function importFile(
  conn: DuckDBConnection,
  file: string,
  feed: (imp: FileImport) => Promise<void> | void,
  opts: ImportOptions = {},
): Promise<FileReport> {
  const started = performance.now();
  let imp: FileImport | undefined;
  let failure: IngestError | undefined;
  try {
    imp = await FileImport.start(conn, file, opts);
    await feed(imp);
    const report = await imp.apply();
    report.ms = performance.now() - started;
    return report;
  } catch (err) {
    throw (failure = new IngestError(file, err));
  } finally {
    await imp?.dispose().catch((err: unknown) => {
      if (!failure) throw new IngestError(file, err);
      // The import's own error is the one to report (a closed connection fails both).
      failure.message += ` (and dropping its staging tables failed: ${(err as Error).message})`;
    });
  }
}

/** Why a file was not stored: `bad_file` (it is malformed: skip it until it changes) or `store_failed` (retry). */
export class IngestError extends Error {
  readonly code: 'bad_file' | 'store_failed';
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const message = (cause as Error)?.message ?? String(cause);
    super(message.startsWith(file) ? message : `${file}: ${message}`, { cause });
    this.code = (cause as { code?: string })?.code === 'bad_file' ? 'bad_file' : 'store_failed';
  }
}

export class FileImport {
  private readonly dict = new Dict();
  private readonly stats: SinkStats = { intervention: 0, blank: 0 };
  private readonly report: FileReport;
  private readonly budget: InflateBudget;
  private readonly factors = new FactorRows();
  private readonly limits: IngestLimits;
  /** CSVs parsed so far (a zip without one is refused). */
  private csvs = 0;

  private constructor(
    private readonly conn: DuckDBConnection,
    file: string,
    private readonly stages: Record<Target, Stage>,
    private readonly opts: ImportOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.report = { file, rows: {}, skipped: {}, notes: [], window: null, ms: 0 };
    this.budget = new InflateBudget(file, this.limits.maxInflatedBytes);
  }

  static async start(conn: DuckDBConnection, file: string, opts: ImportOptions = {}): Promise<FileImport> {
    const stages = {} as Record<Target, Stage>;
    for (const t of TARGET_NAMES) stages[t] = await Stage.create(conn, `ingest_stage_${t}`, stageColumns(t));
    return new FileImport(conn, file, stages, opts);
  }

  /** One file's bytes already in memory (a download): a zip, or a CSV parsed in slices. */
  async feedBytes(name: string, bytes: Uint8Array): Promise<void> {
    if (isZip(bytes)) return this.feedZip(name, bufferSource(bytes), name);
    if (/\.zip$/i.test(name)) throw new ZipError(name, 'not a zip file');
    await this.feedCsv(
      name,
      (function* () {
        for (let p = 0; p < bytes.length; p += READ_SLICE) yield bytes.subarray(p, p + READ_SLICE);
      })(),
      bytes.length,
    );
  }

  /** A file on disk, streamed: neither a CSV nor a zip is ever read whole. */
  async feedPath(path: string): Promise<void> {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const { buffer: head, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
      if (isZip(head.subarray(0, bytesRead))) return await this.feedZip(path, fileSource(fh, size), path);
      if (/\.zip$/i.test(path)) throw new ZipError(path, 'not a zip file');
      await this.feedCsv(path, fh.createReadStream({ start: 0, highWaterMark: READ_SLICE, autoClose: false }), size);
    } finally {
      await fh.close();
    }
  }

  /** `file` names the outer file in errors; `name` this zip (a member's label when nested). */
  private async feedZip(name: string, src: ZipSource, file: string, depth = 0): Promise<void> {
    const csvsBefore = this.csvs;
    for (const m of await listZip(src, name)) {
      const label = `${name} (${m.name})`;
      if (/\.zip$/i.test(m.name)) {
        if (depth >= MAX_ZIP_DEPTH) throw new ZipError(file, `${label}: zips nested more than ${MAX_ZIP_DEPTH} deep`);
        const inner = await readMember(src, m, name, this.budget, this.limits.maxNestedZipBytes);
        await this.feedZip(label, bufferSource(inner), file, depth + 1);
      } else if (/\.csv$/i.test(m.name)) {
        await this.feedCsv(label, inflateMember(src, m, name, this.budget), m.size);
      } else if (!m.name.endsWith('/')) this.report.notes.push(`${label}: not a CSV, ignored`);
    }
    if (depth === 0 && this.csvs === csvsBefore) throw new ZipError(name, 'zip holds no CSV file');
  }

  /** One CSV of `size` bytes: a large one through DuckDB's reader (bulk-csv.ts), others through the row parser. */
  private async feedCsv(
    name: string,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    size: number,
  ): Promise<void> {
    if (size < (this.opts.bulkMinBytes ?? BULK_MIN_BYTES)) return this.parseCsv(name, chunks);
    const dir = await mkdtemp(join(this.opts.scratchDir ?? tmpdir(), 'nem-ingest-'));
    try {
      const spooled = await spool(chunks, join(dir, 'rows.csv'), new LineGuard(name, this.limits.maxLineBytes));
      const { staged, footer } = await bulkStage(this.conn, name, spooled, this.stages, this.dict, this.stats);
      if (staged) {
        this.csvs++;
        this.report.bulk = (this.report.bulk ?? 0) + 1;
        return;
      }
      // Not the plain case: the row parser reads the CSV again, from the header in memory and the spooled rest.
      const rest = createReadStream(spooled.path, { highWaterMark: READ_SLICE });
      await this.parseCsv(
        name,
        (async function* () {
          yield spooled.head;
          yield* rest;
          if (footer) yield footer;
        })(),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Parses one CSV from its chunks with the row parser; lines are bounded before the parser sees them (it buffers a
   * line split across chunks). Awaits between chunks, so a large CSV in memory does not hold the event loop either.
   */
  private async parseCsv(name: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    this.csvs++;
    const parser = this.parser(name);
    const guard = new LineGuard(name, this.limits.maxLineBytes);
    for await (const chunk of chunks) {
      guard.check(chunk);
      parser.push(chunk);
      await new Promise(setImmediate);
    }
    this.endParser(parser);
  }

  private parser(name: string): MmsParser {
    return new MmsParser(name, (table) => {
      if (tableName(table) === CDEII_TABLE) return this.factors.sink(table);
      const sink = sinkFor(table, this.stages, this.dict, this.stats);
      const why = IGNORED[tableName(table)];
      if (why && !this.report.notes.some((n) => n.startsWith(tableName(table))))
        this.report.notes.push(`${tableName(table)} not imported: ${why}`);
      return sink;
    });
  }

  private endParser(parser: MmsParser): void {
    parser.end();
    for (const [t, n] of parser.skipped) this.report.skipped[t] = (this.report.skipped[t] ?? 0) + n;
  }

  /** Deduplicates the staged rows and writes them in one transaction with the rollups they change. */
  async apply(): Promise<FileReport> {
    const { conn, report } = this;
    for (const s of Object.values(this.stages)) s.close();
    if (this.stats.intervention)
      report.notes.push(
        `${rows(this.stats.intervention)} of the intervention pricing run left out (INTERVENTION != 0)`,
      );
    if (this.stats.blank) report.notes.push(`${rows(this.stats.blank)} left out: required value blank`);
    const live = TARGET_NAMES.filter((t) => this.stages[t].count > 0);
    if (live.length === 0 && this.factors.size === 0) return report;
    if (live.length > 0) await this.dict.write(conn, 'ingest_dict');
    const windows: Partial<Record<Target, Window>> = {};
    for (const t of live) {
      const stored = this.stages[t].stored;
      await conn.run(
        stored
          ? `CREATE OR REPLACE TEMP TABLE ingest_fin_${t} AS ${stored}`
          : finalSql(t, this.stages[t], await this.stages[t].source(conn)),
      );
      // A forecast's rows matter from the watermark its run is shown at, not from their intervals' ends.
      const shown = hasRun(t) ? `run_ts + ${SHOWN_AFTER_S[t as ForecastTable]}` : 'ts';
      const r = (
        await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n, min(ts) AS lo, max(ts) AS hi,
          min(${shown}) AS shown_lo, max(${shown}) AS shown_hi FROM ingest_fin_${t}`)
      ).getRowObjectsJS()[0];
      windows[t] = { minTs: Number(r.lo), maxTs: Number(r.hi) };
      report.rows[t] = Number(r.n);
      report.window = widen(report.window, {
        minTs: Number(r.shown_lo) - (SPAN[t] ?? 300) + 300,
        maxTs: Number(r.shown_hi),
      });
    }
    if (live.includes('scada')) await this.noteUnknownDuids();
    let from = Infinity;
    let to = -Infinity;
    const defer = this.opts.deferRollups === true;
    const rollLater = defer || (report.bulk ?? 0) > 0;
    await inTransaction(conn, async () => {
      // Changed CDEII factors change past emissions too: every stored answer may change.
      if (this.factors.size > 0) {
        const stored = await this.factors.store(conn);
        report.rows.emission_factors = stored.rows;
        if (stored.changed) await bumpDataVersion(conn);
      } else if (report.window) {
        // Before the writes: a file reaching back to the stored watermark changes answers already cached.
        await bumpIfRevising(conn, report.window.minTs);
      }
      for (const t of live) {
        const w = windows[t]!;
        await applyTarget(conn, t, w);
        if (SPAN[t] !== undefined) {
          from = Math.min(from, w.minTs - SPAN[t]!);
          // a rooftop value is also carried into the intervals after it that have none
          to = Math.max(to, w.maxTs + (t === 'rooftop' ? ROOFTOP_CARRY_S : 0));
        }
      }
      if (to > from) await (rollLater ? markRollupsPending : refreshRollups)(conn, from, to);
      const forecasts = live.filter(hasRun) as ForecastTable[];
      if (forecasts.length > 0) await pruneForecasts(conn, this.opts.forecastDays ?? DEFAULT_FORECAST_DAYS, forecasts);
    });
    if (rollLater && !defer) await inTransaction(conn, () => refreshPendingRollups(conn));
    return report;
  }

  /** SCADA of a DUID missing from `units` is stored but cannot be counted under a fuel: say so. */
  private async noteUnknownDuids(): Promise<void> {
    const r = (
      await this.conn.runAndReadAll(`SELECT count(*)::INTEGER AS n, list(duid ORDER BY duid)[1:3] AS some
      FROM (SELECT DISTINCT duid FROM ingest_fin_scada) WHERE duid NOT IN (SELECT duid FROM units)`)
    ).getRowObjectsJS()[0];
    const n = Number(r.n);
    if (n > 0) {
      const some = (r.some as string[]).join(', ');
      this.report.notes.push(
        `${n} DUID${n === 1 ? '' : 's'} not in the registry (${some}${n > 3 ? ', ...' : ''}): stored, but not in the fuel rollups until the registry lists them`,
      );
    }
  }

  async dispose(): Promise<void> {
    for (const s of Object.values(this.stages)) {
      try {
        s.close();
      } catch {
        // an appender that failed mid-chunk cannot flush; the table is dropped below anyway
      }
    }
    const tables = [...TARGET_NAMES.flatMap((t) => [...this.stages[t].tables, `ingest_fin_${t}`]), 'ingest_dict'];
    await this.conn.run(tables.map((t) => `DROP TABLE IF EXISTS temp.main.${t};`).join('\n'));
  }
}

/**
 * The latest revision of each (interval, key): greatest LASTCHANGED, then the row furthest down the file. `source` the
 * staged rows (Stage.source).
 */
function finalSql(t: Target, stage: Stage, source: string): string {
  const { keys, values } = TARGETS[t];
  const ids = identity(t);
  const joins = keys.map((k, i) => `JOIN ingest_dict d${i} ON d${i}.code = s.${k}`).join(' ');
  const latest = stage.maybeDuplicates
    ? `(SELECT * FROM ${source} QUALIFY row_number() OVER (PARTITION BY ${ids.join(', ')} ORDER BY lc DESC, seq DESC) = 1)`
    : source;
  const times = hasRun(t) ? 's.ts, s.run_ts' : 's.ts';
  // Rows go in in interval order (zone maps on ts then prune well); AEMO's files already are.
  return `CREATE OR REPLACE TEMP TABLE ingest_fin_${t} AS
SELECT ${times}, ${keys.map((k, i) => `d${i}.s AS ${k}`).join(', ')}, ${values.map((v) => `s.${v}`).join(', ')}
FROM ${latest} s ${joins}${stage.maybeDuplicates || stage.unsorted ? ' ORDER BY s.ts' : ''}`;
}

/** What names one stored row: its interval, a forecast's run, and the keys. */
const identity = (t: Target): string[] => ['ts', ...(hasRun(t) ? ['run_ts'] : []), ...TARGETS[t].keys];

/** Replaces the stored rows for the staged keys. */
async function applyTarget(conn: DuckDBConnection, t: Target, w: Window): Promise<void> {
  const range = (col: string) => `${col} BETWEEN ${w.minTs} AND ${w.maxTs}`;
  const { values } = TARGETS[t];
  if (t === 'price') await demandForStagedPrices(conn, w);
  if ('keepStored' in TARGETS[t]) await keepStoredColumns(conn, t, w);
  const match = identity(t)
    .map((k) => `${t}.${k} = f.${k}`)
    .join(' AND ');
  await conn.run(`DELETE FROM ${t} USING ingest_fin_${t} f WHERE ${range(`${t}.ts`)} AND ${match}`);
  const cols = [...identity(t), ...values].join(', ');
  await conn.run(`INSERT INTO ${t} (${cols}) SELECT ${cols} FROM ingest_fin_${t}`);
  if (t === 'regionsum') await demandOntoPrices(conn, w);
}

/**
 * For a target fed by sources of different widths (TARGETS' `keepStored`): a blank in the staged row takes the stored
 * value for that key and interval, so the narrower file never erases the fuller one's columns, in either order.
 */
async function keepStoredColumns(conn: DuckDBConnection, t: Target, w: Window): Promise<void> {
  const { keys, values } = TARGETS[t];
  const match = ['ts', ...keys].map((k) => `s.${k} = f.${k}`).join(' AND ');
  const set = values.map((v) => `${v} = coalesce(f.${v}, s.${v})`).join(', ');
  await conn.run(
    `UPDATE ingest_fin_${t} f SET ${set} FROM ${t} s WHERE s.ts BETWEEN ${w.minTs} AND ${w.maxTs} AND ${match}`,
  );
}

/** `1 row`, `2 rows`; `show` formats the number (the CLI groups digits). */
export const rows = (n: number, show: (n: number) => string = String) => `${show(n)} row${n === 1 ? '' : 's'}`;

/**
 * Bumps the version when a write about to happen reaches back to `minTs` at or before the stored watermark (a late
 * file, a revision, SCADA landing after its prices): the rule the live pipeline uses to mark a revision. Run it
 * inside the write's transaction, before the write (it compares with the watermark the write may move).
 */
async function bumpIfRevising(conn: DuckDBConnection, minTs: number): Promise<boolean> {
  if (!Number.isFinite(minTs)) throw new TypeError(`minTs must be a number, got ${minTs}`);
  const wm = await readWatermark(conn);
  if (Math.floor(minTs) > (wm?.watermark ?? -1)) return false;
  await bumpDataVersion(conn);
  return true;
}
