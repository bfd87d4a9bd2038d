// Replicas must give byte-identical answers: the same store, asked the same question on a fresh connection, with
// no cache, encodes to the same bytes, and two stores built independently hold the same rollups, bit for bit.
// DuckDB runs 4 threads here (on any core count), so its aggregations run in parallel and meet rows in a different
// order each run: float sums added in that order used to differ in the last bit, ±0.01 on the wire.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../../server/catalogue/index.ts';
import { DB_FILE, readWatermark } from '../../server/store/db.ts';
import { ensureStore } from '../../server/store/ensure-store.ts';
import {
  KIND_NAMES,
  KINDS,
  RESOLUTIONS,
  TAB_KINDS,
  UNCACHED,
  validateParams,
  type Kind,
  type ParamsOf,
} from '../../shared/kinds.ts';
import { encode } from '../../shared/protocol.ts';
import { warmList } from '../../server/warmup/list.ts';

const THREADS = 4;
const DAYS = 7;
const root = mkdtempSync(join(tmpdir(), 'nemlive-determinism-'));
let store: DuckDBInstance;

async function build(name: string, days: number): Promise<DuckDBInstance> {
  const config = { dataDir: join(root, name), demoDays: days, threads: THREADS, memoryLimit: '1GB' };
  return (await ensureStore(config, { info: () => undefined })).instance;
}

beforeAll(async () => {
  store = await build('a', DAYS);
});
afterAll(() => {
  store?.closeSync();
  rmSync(root, { recursive: true, force: true });
});

interface Question {
  kind: Kind;
  params: ParamsOf<Kind>;
}

function question(kind: Kind, raw: Record<string, unknown>): Question {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(`${kind}: ${v.message}`);
  return { kind, params: v.params as ParamsOf<Kind> };
}

/**
 * The common queries warmup knows (ranges past 7d are the whole store here, so they are left out), each tab at the
 * coarser resolutions too, and the unit kinds warmup cannot list (they need a station) at every resolution.
 */
function questions(stations: string[], duid: string): Question[] {
  const out: Question[] = warmList().filter(
    (q) =>
      !('range' in q.params) ||
      ['24h', '7d'].includes(q.params.range as string) ||
      q.params.range === (KINDS[q.kind] as { range?: { default?: string } }).range?.default,
  );
  // Never cached, so warmup lists none: the alert kinds at their defaults.
  for (const kind of UNCACHED) out.push(question(kind, {}));
  for (const kind of TAB_KINDS) {
    for (const resolution of ['30m', '1d']) {
      for (const region of [{}, { region: 'QLD1' }, { regions: ['QLD1'] }]) {
        const v = validateParams(kind, { ...region, range: '7d', resolution });
        if (v.ok) out.push({ kind, params: v.params as ParamsOf<Kind> });
      }
    }
  }
  for (const station of stations) {
    for (const resolution of RESOLUTIONS) out.push(question('station.output', { station, range: '7d', resolution }));
    out.push(question('tab.stations', { station, range: '30d' }));
  }
  out.push(
    question('station.output', { duid, range: '24h' }),
    question('tab.stations', { duid, range: '7d', resolution: '30m' }),
    // battery.soc needs a battery: one unit, and a station of two (AEMO's state of charge summed)
    question('battery.soc', { duid: 'ERB01', range: '24h' }),
    question('battery.soc', { station: 'Supernode BESS', range: '7d', resolution: '30m' }),
  );
  return out;
}

async function context(conn: DuckDBConnection) {
  const wm = await readWatermark(conn);
  return { conn, watermark: wm!.watermark, firstTs: wm!.firstTs };
}

/** Each question answered on one new connection, encoded as the wire (and the cache) carries it. */
async function answers(list: Question[]): Promise<string[]> {
  const conn = await store.connect();
  try {
    const ctx = await context(conn);
    const out: string[] = [];
    for (const q of list) out.push(Buffer.from(encode(await runQuery(ctx, q.kind, q.params))).toString('base64'));
    return out;
  } finally {
    conn.closeSync();
  }
}

describe('answers are byte-identical across runs', () => {
  it('computes every kind twice on fresh connections and gets the same bytes', async () => {
    const conn = await store.connect();
    const search = await runQuery(
      await context(conn),
      'stations.search',
      question('stations.search', { limit: 6 }).params as ParamsOf<'stations.search'>,
    );
    conn.closeSync();
    // The largest stations have several units: their output is a sum across units in every interval.
    const list = questions([...new Set(search.rows.map((r) => r.station))].slice(0, 3), search.rows[0].duid);
    expect(new Set(list.map((q) => q.kind))).toEqual(new Set(KIND_NAMES));

    const first = await answers(list);
    const second = await answers(list);
    const differ = list.filter((_, i) => first[i] !== second[i]).map((q) => `${q.kind} ${JSON.stringify(q.params)}`);
    expect(differ).toEqual([]);
  });
});

describe('rollups are bit-identical across independent builds', () => {
  it('a second demo build holds the same rollup rows, value for value', async () => {
    // A shorter build with the same seed holds the same raw rows for its days (server/store/demo.test.ts).
    (await build('b', 2)).closeSync();
    const conn = await store.connect();
    try {
      await conn.run(`ATTACH '${join(root, 'b', DB_FILE)}' AS b (READ_ONLY)`);
      const cut = (await context(conn)).watermark - 2 * 86400;
      // b's days: intervals ending after `cut`, and the NEM days starting at or after it.
      const tables = {
        gen_5m: `ts > ${cut}`,
        gen_30m: `ts > ${cut}`,
        gen_1d: `ts >= ${cut}`,
        unit_1d: `ts >= ${cut}`,
        battery_1d: `ts >= ${cut}`,
      };
      const mismatches: Record<string, number> = {};
      for (const [table, where] of Object.entries(tables)) {
        // Rows on one side only: a value that differs in any bit makes its row one of them.
        const r = await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM (
          (SELECT * FROM ${table} WHERE ${where} EXCEPT ALL SELECT * FROM b.${table})
          UNION ALL (SELECT * FROM b.${table} EXCEPT ALL SELECT * FROM ${table} WHERE ${where}))`);
        mismatches[table] = r.getRows()[0][0] as number;
      }
      expect(mismatches).toEqual({ gen_5m: 0, gen_30m: 0, gen_1d: 0, unit_1d: 0, battery_1d: 0 });
      await conn.run('DETACH b');
    } finally {
      conn.closeSync();
    }
  });
});
