// Which AEMO MMS tables the store imports, and where each column goes. Columns are found by the I row's
// names, so column order and table versions may vary; a required column missing from the I row rejects the file.
import { type Fields, type MmsTable, type RowSink, TimeColumn, parseNumber, parseValue, tableName } from './mms.ts';
import { parseSeqNo } from './forecasts.ts';
import type { Dict, Stage, StageColumn } from './staging.ts';

/** DISPATCH REGIONSUM's columns kept in `regionsum`, AEMO's names lower-cased; TOTALDEMAND first (required). */
const REGIONSUM_COLUMNS = [
  'TOTALDEMAND',
  'DEMAND_AND_NONSCHEDGEN',
  'NETINTERCHANGE',
  'SS_SOLAR_UIGF',
  'SS_WIND_UIGF',
  'SS_SOLAR_CLEAREDMW',
  'SS_WIND_CLEAREDMW',
  'SS_SOLAR_AVAILABILITY',
  'SS_WIND_AVAILABILITY',
  'BDU_CLEAREDMW_GEN',
  'BDU_CLEAREDMW_LOAD',
] as const;
/** DISPATCH UNIT_SOLUTION's columns kept in `unit_dispatch`; TOTALCLEARED first (required). */
const UNIT_COLUMNS = [
  'TOTALCLEARED',
  'AVAILABILITY',
  'SEMIDISPATCHCAP',
  'UIGF',
  'INITIAL_ENERGY_STORAGE',
  'ENERGY_STORAGE',
] as const;
const lower = <S extends string>(s: S) => s.toLowerCase() as Lowercase<S>;

/** Staging targets, each a store table. No target depends on another having been imported first (regionsum.ts). */
export const TARGETS = {
  scada: { keys: ['duid'], values: ['mw'] },
  price: { keys: ['region'], values: ['rrp', 'demand_mw'] },
  trading_price: { keys: ['region'], values: ['rrp'] },
  interconnector: { keys: ['id'], values: ['mw', 'export_limit', 'import_limit', 'losses'] },
  rooftop: { keys: ['region', 'type'], values: ['mw'] },
  regionsum: { keys: ['region'], values: REGIONSUM_COLUMNS.map(lower) },
  // The Daily report's DUNIT has two of these columns: its blanks must not replace what UNIT_SOLUTION stored.
  unit_dispatch: { keys: ['duid'], values: UNIT_COLUMNS.map(lower), keepStored: true },
  unit_scada_limits: { keys: ['duid', 'type'], values: ['mw'] },
  market_status: { keys: ['region'], values: ['apc_flag', 'suspended', 'price_firm', 'cumul_price'] },
  // Forecasts (forecasts.ts): every run is kept, so a row's identity includes its run's stamp, run_ts.
  p5min_region: { keys: ['region'], values: ['rrp', 'totaldemand'], run: true },
  predispatch_price: { keys: ['region'], values: ['rrp'], run: true },
  predispatch_demand: { keys: ['region'], values: ['totaldemand'], run: true },
} as const satisfies Record<
  string,
  { keys: readonly string[]; values: readonly string[]; keepStored?: true; run?: true }
>;
export type Target = keyof typeof TARGETS;
/** Whether a target keeps every run of a forecast (its rows carry run_ts). */
export const hasRun = (t: Target): boolean => 'run' in TARGETS[t];

/** Staging layout: ts, run_ts (forecasts), key codes, values, then LASTCHANGED and file order (both decide the latest
 * revision). */
export function stageColumns(t: Target): StageColumn[] {
  const spec = TARGETS[t];
  return [
    { name: 'ts', type: 'INTEGER' },
    ...(hasRun(t) ? [{ name: 'run_ts', type: 'INTEGER' as const }] : []),
    ...spec.keys.map((k) => ({ name: k, type: 'INTEGER' as const })),
    ...spec.values.map((v) => ({ name: v, type: 'DOUBLE' as const })),
    { name: 'lc', type: 'INTEGER' },
    { name: 'seq', type: 'INTEGER' },
  ];
}

export interface Source {
  target: Target;
  /** Column holding the interval END (AEMO's convention, and the store's). */
  time: string;
  keys: readonly string[];
  /** Per target value: the column, or the first present of several; null = not in this table. The first is required. */
  values: readonly (string | readonly string[] | null)[];
  /** Keep INTERVENTION = 0 rows only (the market price run, not the intervention pricing run). */
  intervention?: true;
  /** A table's version without the first value column feeds nothing here (the file is not refused for it). */
  optional?: true;
  /** Columns holding words rather than numbers, with the number each word is stored as (any other word: blank). */
  words?: Record<string, Record<string, number>>;
  /** A forecast's run: a time column (P5MIN's RUN_DATETIME) or PREDISPATCHSEQNO's trading-day half hour. */
  run?: { column: string; form: 'time' | 'seqno' };
}

// METEREDMWFLOW is the measured flow at the end of the interval; MWFLOW is the dispatch target. Dashboards show
// what actually flowed, so METEREDMWFLOW is used when present (it is in every DISPATCH and DINT version seen).
const FLOW = ['METEREDMWFLOW', 'MWFLOW'] as const;
const IC_VALUES = [FLOW, 'EXPORTLIMIT', 'IMPORTLIMIT', 'MWLOSSES'] as const;

/** A table may feed several targets (DISPATCH PRICE: the price, and the market's flags). */
export const SOURCES: Record<string, Source | readonly Source[]> = {
  'DISPATCH UNIT_SCADA': { target: 'scada', time: 'SETTLEMENTDATE', keys: ['DUID'], values: ['SCADAVALUE'] },
  'DISPATCH PRICE': [
    {
      target: 'price',
      time: 'SETTLEMENTDATE',
      keys: ['REGIONID'],
      values: ['RRP', null],
      intervention: true,
    },
    {
      target: 'market_status',
      time: 'SETTLEMENTDATE',
      keys: ['REGIONID'],
      values: ['APCFLAG', 'MARKETSUSPENDEDFLAG', 'PRICE_STATUS', 'CUMUL_PRE_AP_ENERGY_PRICE'],
      intervention: true,
      optional: true,
      words: { PRICE_STATUS: { FIRM: 1, 'NOT FIRM': 0, NOT_FIRM: 0 } },
    },
  ],
  // Legacy "Dispatch_Reports" files: DREGION carries price and demand together.
  DREGION: {
    target: 'price',
    time: 'SETTLEMENTDATE',
    keys: ['REGIONID'],
    values: ['RRP', 'TOTALDEMAND'],
    intervention: true,
  },
  'DISPATCH REGIONSUM': {
    target: 'regionsum',
    time: 'SETTLEMENTDATE',
    keys: ['REGIONID'],
    values: REGIONSUM_COLUMNS,
    intervention: true,
  },
  'TRADING PRICE': { target: 'trading_price', time: 'SETTLEMENTDATE', keys: ['REGIONID'], values: ['RRP'] },
  'DISPATCH INTERCONNECTORRES': {
    target: 'interconnector',
    time: 'SETTLEMENTDATE',
    keys: ['INTERCONNECTORID'],
    values: IC_VALUES,
    intervention: true,
  },
  DINT: {
    target: 'interconnector',
    time: 'SETTLEMENTDATE',
    keys: ['INTERCONNECTORID'],
    values: IC_VALUES,
    intervention: true,
  },
  'DISPATCH UNIT_SOLUTION': {
    target: 'unit_dispatch',
    time: 'SETTLEMENTDATE',
    keys: ['DUID'],
    values: UNIT_COLUMNS,
    intervention: true,
  },
  // The Daily report's per-unit table: the same solution, fewer columns.
  DUNIT: {
    target: 'unit_dispatch',
    time: 'SETTLEMENTDATE',
    keys: ['DUID'],
    values: ['TOTALCLEARED', 'AVAILABILITY', null, null, null, null],
    intervention: true,
  },
  'DEMAND INTERMITTENT_GEN_SCADA': {
    target: 'unit_scada_limits',
    time: 'RUN_DATETIME',
    keys: ['DUID', 'SCADA_TYPE'],
    values: ['SCADA_VALUE'],
  },
  'ROOFTOP ACTUAL': { target: 'rooftop', time: 'INTERVAL_DATETIME', keys: ['REGIONID', 'TYPE'], values: ['POWER'] },
  'P5MIN REGIONSOLUTION': {
    target: 'p5min_region',
    time: 'INTERVAL_DATETIME',
    run: { column: 'RUN_DATETIME', form: 'time' },
    keys: ['REGIONID'],
    values: ['RRP', 'TOTALDEMAND'],
    intervention: true,
  },
  'PREDISPATCH REGION_PRICES': {
    target: 'predispatch_price',
    time: 'DATETIME',
    run: { column: 'PREDISPATCHSEQNO', form: 'seqno' },
    keys: ['REGIONID'],
    values: ['RRP'],
    intervention: true,
  },
  'PREDISPATCH REGION_SOLUTION': {
    target: 'predispatch_demand',
    time: 'DATETIME',
    run: { column: 'PREDISPATCHSEQNO', form: 'seqno' },
    keys: ['REGIONID'],
    values: ['TOTALDEMAND'],
    intervention: true,
  },
};

/** Known tables left out on purpose, with the reason the report gives. */
export const IGNORED: Record<string, string> = {
  'TRADING INTERCONNECTORRES': 'duplicates DISPATCH INTERCONNECTORRES at trading resolution',
};

export interface SinkStats {
  /** Rows left out because INTERVENTION != 0. */
  intervention: number;
  /** Rows left out because their required value was blank. */
  blank: number;
}

/** A row sink that writes one MMS table's D rows into its target's stage; null when the table is not imported. */
export function sinkFor(table: MmsTable, stages: Record<Target, Stage>, dict: Dict, stats: SinkStats): RowSink | null {
  const found = SOURCES[tableName(table)];
  if (!found) return null;
  if (!('target' in found)) {
    // Intervention rows are counted once per row, not once per target.
    const sinks = found.map((src, i) => sourceSink(table, src, stages, dict, i === 0 ? stats : { ...stats }));
    return (f, line) => {
      for (const sink of sinks) sink(f, line);
    };
  }
  return sourceSink(table, found, stages, dict, stats);
}

/** Where a table's columns are in its D rows (MmsTable.field indices), by name; a required one missing throws. */
export interface SourceFields {
  src: Source;
  time: number;
  keys: number[];
  /** One per target value, -1 when this table lacks it; the first is always found. */
  values: number[];
  valueNames: string[];
  /** -1 when absent. */
  lastChanged: number;
  intervention: number;
}

/**
 * The fields of a table feeding one target with numbers only (the bulk path's case, bulk-csv.ts), or null: not
 * imported, several targets, an optional source, word columns or a forecast's run column (those go through the row
 * parser).
 */
export function sourceFields(table: MmsTable): SourceFields | null {
  const src = SOURCES[tableName(table)];
  if (!src || !('target' in src) || src.optional || src.words || src.run) return null;
  return fieldsOf(table, src);
}

function fieldsOf(table: MmsTable, src: Source): SourceFields {
  const name = tableName(table);
  const need = (col: string): number => {
    const i = table.field(col);
    if (i < 0) throw new Error(`${name}: its I row has no ${col} column`);
    return i;
  };
  const time = need(src.time);
  const keys = src.keys.map(need);
  const values = src.values.map((v, j) => {
    const names = v === null ? [] : typeof v === 'string' ? [v] : v;
    const found = names.map((n) => table.field(n)).find((i) => i >= 0) ?? -1;
    if (j === 0 && found < 0) throw new Error(`${name}: its I row has no ${names.join(' or ')} column`);
    return found;
  });
  return {
    src,
    time,
    keys,
    values,
    valueNames: values.map((i) => (i < 0 ? '' : table.columns[i - 4])),
    lastChanged: table.field('LASTCHANGED'),
    intervention: src.intervention ? table.field('INTERVENTION') : -1,
  };
}

function sourceSink(
  table: MmsTable,
  src: Source,
  stages: Record<Target, Stage>,
  dict: Dict,
  stats: SinkStats,
): RowSink {
  if (src.optional && table.field(src.values[0] as string) < 0) return () => undefined;
  const fields = fieldsOf(table, src);
  const { time: tsField, keys: keyFields, values: valueFields, valueNames } = fields;
  const time = new TimeColumn(src.time);
  const keyNames = src.keys;
  const valueWords = valueNames.map((n) => src.words?.[n]);
  const lcField = fields.lastChanged;
  const lastChanged = new TimeColumn('LASTCHANGED');
  const interventionField = fields.intervention;
  const runField = src.run ? table.field(src.run.column) : -1;
  if (src.run && runField < 0) throw new Error(`${tableName(table)}: its I row has no ${src.run.column} column`);
  const run = src.run ? runColumn(src.run.column, src.run.form) : null;
  const stage = stages[src.target];
  const cols = stage.cols;
  // Columns after ts: run_ts for a forecast, then the keys, the values, LASTCHANGED and file order.
  const k0 = run ? 2 : 1;
  const nk = keyFields.length;
  const nv = valueFields.length;

  return (f) => {
    if (interventionField >= 0 && !f.equals(interventionField, '0')) {
      if (parseNumber(f.get(interventionField), 'INTERVENTION') !== 0) {
        stats.intervention++;
        return;
      }
    }
    const first = parseValue(f.get(valueFields[0]), valueNames[0]);
    if (first === null) {
      stats.blank++;
      return;
    }
    const ts = time.parse(f, tsField);
    const runTs = run ? run.parse(f, runField) : 0;
    const r = stage.next();
    cols[0][r] = ts;
    if (run) cols[1][r] = runTs;
    // Several runs may forecast one interval: the run is part of the identity a repeat is looked for under.
    let hash = runTs / 300;
    for (let k = 0; k < nk; k++) {
      const key = f.get(keyFields[k]).trim();
      if (key.length === 0) throw new Error(`${keyNames[k]} is blank`);
      const code = dict.code(key);
      cols[k0 + k][r] = code;
      hash = hash * 64 + code;
    }
    stage.track(ts, hash);
    cols[k0 + nk][r] = first;
    for (let v = 1; v < nv; v++) {
      const i = valueFields[v];
      const words = valueWords[v];
      const x =
        i < 0 ? null : words ? (words[f.get(i).trim().toUpperCase()] ?? null) : parseValue(f.get(i), valueNames[v]);
      cols[k0 + nk + v][r] = x === null ? NaN : x;
    }
    const lc = lcField < 0 || f.equals(lcField, '') ? 0 : lastChanged.parse(f, lcField);
    cols[k0 + nk + nv][r] = lc;
    cols[k0 + 1 + nk + nv][r] = stage.count;
  };
}

/** Reads a forecast's run stamp, remembering the last (a file is one run, or runs one after another). */
function runColumn(name: string, form: 'time' | 'seqno'): { parse(row: Fields, i: number): number } {
  if (form === 'time') return new TimeColumn(name);
  let last = '\u0000';
  let value = 0;
  return {
    parse(row, i) {
      if (row.equals(i, last)) return value;
      const s = row.get(i);
      const v = parseSeqNo(s);
      if (!Number.isFinite(v)) throw new Error(`${name}: not a pre-dispatch run (YYYYMMDDPP): ${JSON.stringify(s)}`);
      last = s;
      value = v;
      return v;
    },
  };
}
