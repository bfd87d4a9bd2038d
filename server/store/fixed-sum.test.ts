// The fixed-point aggregates: exact where a float sum is not, whatever the order, with SQL's NULL rules.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avgSql, fixedSumSql, fromFixedSql, sumSql } from './fixed-sum.ts';

let db: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:', { threads: '4' });
  conn = await db.connect();
});
afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
});

const one = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS()[0];

describe('sumSql / avgSql', () => {
  it('add terms exactly, so every order gives the same bits', async () => {
    const orders = ['0.1, 0.2, -0.3', '-0.3, 0.2, 0.1', '0.2, -0.3, 0.1'];
    for (const rows of orders) {
      const r = await one(
        `SELECT ${sumSql('x')} AS s, ${avgSql('x')} AS a FROM (SELECT unnest([${rows}]::DOUBLE[]) AS x)`,
      );
      expect(r.s).toBe(0);
      expect(r.a).toBe(0);
    }
    // what a float sum gives in one of these orders
    expect(0.1 + 0.2 - 0.3).not.toBe(0);
    const r = await one(`SELECT ${avgSql('x')} AS a FROM (VALUES (100.01::DOUBLE), (100.02), (100.0), (100.0)) v(x)`);
    expect(r.a).toBe(100.0075);
  });

  it('keeps SQL semantics: NULLs skipped, FILTER applied, NULL over no rows, integer terms never overflow', async () => {
    const r =
      await one(`SELECT ${sumSql('x', 'x > 0')} AS pos, ${avgSql('x', 'x > 100')} AS none, ${avgSql('x')} AS a, ${sumSql('i')} AS big
      FROM (VALUES (1.5::DOUBLE, 2000000000), (NULL, 2000000000), (-0.5, 1)) v(x, i)`);
    expect(r).toEqual({ pos: 1.5, none: null, a: 0.5, big: 4000000001 });
    expect(await one(`SELECT ${sumSql('x')} AS s FROM (SELECT 1.0::DOUBLE AS x WHERE false)`)).toEqual({ s: null });
  });

  it('gives the same bits over two million rows in parallel, run after run', async () => {
    // A table of several row groups, so threads scan it in parallel and each run combines their partial sums anew.
    await conn.run(
      `CREATE TABLE t AS SELECT (i % 7)::INTEGER AS g, ((hash(i) % 100000) / 1000.0)::DOUBLE AS x FROM range(2000000) r(i)`,
    );
    const sql = `SELECT g, ${sumSql('x')} AS s, ${avgSql('x')} AS a FROM t GROUP BY g ORDER BY g`;
    const first = JSON.stringify((await conn.runAndReadAll(sql)).getRowsJS());
    for (let i = 0; i < 5; i++) expect(JSON.stringify((await conn.runAndReadAll(sql)).getRowsJS())).toBe(first);
  });

  it("gives sumSql's bits in two steps: per-group fixed sums, then their sum (NULL groups and all-NULL too)", async () => {
    const rows = `(SELECT (i % 13)::INTEGER AS g, CASE WHEN i % 11 = 0 OR i % 13 = 5 THEN NULL
      ELSE (hash(i) % 2000000) / 997.0 - 900 END AS x FROM range(50000) r(i)) v`;
    const once = await one(
      `SELECT ${sumSql('x')} AS s, ${sumSql('x', 'g > 6')} AS f, ${sumSql('x', 'g = 5')} AS n FROM ${rows}`,
    );
    const twice = await one(`SELECT ${fromFixedSql('sum(p)')} AS s, ${fromFixedSql('sum(p) FILTER (WHERE g > 6)')} AS f,
      ${fromFixedSql('sum(p) FILTER (WHERE g = 5)')} AS n FROM (SELECT g, ${fixedSumSql('x')} AS p FROM ${rows} GROUP BY g)`);
    expect(twice).toEqual(once);
    expect(once.n).toBeNull();
    expect(typeof once.s).toBe('number');
  });
});
