// Kept prepared statements (keepStatements): a connection that reuses its statements answers every kind exactly as
// one that prepares each time, with no binding carried over from one call to the next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { KIND_NAMES, KINDS, type Kind } from '../../shared/kinds.ts';
import { REGIONS } from '../../shared/nem.ts';
import { encode } from '../../shared/protocol.ts';
import { checked, syntheticStore } from '../../test/util/catalogue.ts';
import { runQuery, type QueryContext } from './index.ts';
import { columns, keepStatements } from './sql.ts';
import { T0, type TestStore } from '../../test/util/synthetic-data.ts';

let store: TestStore;
let ctx: QueryContext;
let keeping: DuckDBConnection;
beforeAll(async () => {
  ({ store, ctx } = await syntheticStore());
  keeping = await store.instance.connect();
  keepStatements(keeping);
});
afterAll(() => {
  keeping?.closeSync();
  store?.close();
});

async function both(kind: Kind, raw: Record<string, unknown>): Promise<[Uint8Array, Uint8Array]> {
  const params = checked(kind, raw);
  const at = (conn: DuckDBConnection) => runQuery({ ...ctx, conn }, kind, params).then((d) => encode(d).slice());
  return [await at(store.conn), await at(keeping)];
}

describe('keepStatements', () => {
  it('answers every kind, twice over with different params, exactly as a connection that prepares each time', async () => {
    for (const kind of KIND_NAMES) {
      const schema = KINDS[kind] as Record<string, unknown>;
      const base: Record<string, unknown> =
        kind === 'station.output' ? { duid: 'COAL1' } : kind === 'battery.soc' ? { duid: 'BATTA1' } : {};
      const variants: Record<string, unknown>[] = [{ ...base }];
      if ('region' in schema) variants.push({ ...base, region: 'SA1' }, { ...base, region: 'NSW1' });
      if ('regions' in schema) variants.push({ ...base, regions: ['SA1'] }, { ...base, regions: [...REGIONS] });
      if ('range' in schema) variants.push({ ...base, range: '7d' }, { ...base, from: T0 + 3600, to: T0 + 86400 });
      for (const raw of variants) {
        const [fresh, kept] = await both(kind, raw);
        expect(Buffer.from(kept).equals(Buffer.from(fresh)), `${kind} ${JSON.stringify(raw)}`).toBe(true);
      }
    }
  });

  it('reuses one statement for a SQL text (a failed one is not kept)', async () => {
    const sql = 'SELECT count(*)::INTEGER AS n FROM price WHERE region = $region';
    expect((await columns<{ n: number[] }>(keeping, sql, { region: 'SA1' })).n[0]).toBeGreaterThan(0);
    expect((await columns<{ n: number[] }>(keeping, sql, { region: 'nowhere' })).n[0]).toBe(0);
    await expect(columns(keeping, 'SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    await expect(columns(keeping, 'SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
  });
});
