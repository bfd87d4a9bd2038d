// readColumns reads a result straight from the chunks' memory: it must give exactly what node-api's own reader gives
// (getColumnsObjectJS, getRowObjectsJS) for every type, NULLs, long and non-ASCII strings, and results of many chunks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readColumns, rowsOf } from './read-columns.ts';

let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});
afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
});

// 5000 rows: three chunks, the last one partial; every column has NULLs somewhere (not in every chunk).
const SQL = `
SELECT i::INTEGER AS i,
  CASE WHEN i % 7 = 0 THEN NULL ELSE i * 1.5 - 3000 END AS d,
  CASE WHEN i = 3 THEN '-0.0'::DOUBLE WHEN i = 4 THEN 'NaN'::DOUBLE WHEN i = 5 THEN 'inf'::DOUBLE ELSE i / 3.0 END AS special,
  (i * 1000003)::BIGINT * 1000000 AS big,
  (i % 200 - 100)::TINYINT AS tiny, (i * 7 - 17000)::SMALLINT AS small, (i % 250)::UTINYINT AS utiny, i::UINTEGER AS uint,
  (i / 7)::FLOAT AS f, i::UBIGINT AS ubig, i::HUGEINT AS huge,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE i % 6 WHEN 0 THEN NULL WHEN 1 THEN 'Rooftop Solar' WHEN 2 THEN 'Wind' WHEN 3 THEN 'Mt Ñgarrabullgan ☀'
    WHEN 4 THEN '' ELSE 'exactly12chr' END AS s,
  CASE WHEN i > 4500 THEN NULL ELSE 'é' END AS short_unicode,
  (i / 100)::DECIMAL(10, 2) AS dec, [i, i + 1] AS list, {'a': i} AS struct, to_timestamp(i) AS t,
  CASE WHEN i < 2100 THEN NULL ELSE i END AS nulls_first_chunk
FROM range(5000) r(i)`;

describe('readColumns', () => {
  it('gives the columns and rows node-api gives, for every type and NULLs over several chunks', async () => {
    const expected = await conn.runAndReadAll(SQL);
    const got = await readColumns(await conn.run(SQL));
    expect(Object.keys(got)).toEqual(expected.deduplicatedColumnNames());
    expect(got).toStrictEqual(expected.getColumnsObjectJS());
    expect(rowsOf(got)).toStrictEqual(expected.getRowObjectsJS());
    expect(Object.is(got.special[3], -0)).toBe(true);
    expect(got.i).toHaveLength(5000);
  });

  it('deduplicates repeated column names as node-api does, and reads an empty result', async () => {
    const dup = 'SELECT 1 AS x, 2 AS x, NULL AS y';
    expect(await readColumns(await conn.run(dup))).toStrictEqual((await conn.runAndReadAll(dup)).getColumnsObjectJS());
    const empty = 'SELECT 1.5 AS a, $s AS b WHERE false';
    expect(await readColumns(await conn.run(empty, { s: 'x' }))).toStrictEqual({ a: [], b: [] });
    expect(rowsOf({ a: [], b: [] })).toStrictEqual([]);
  });
});
