// One transaction around a piece of store work (its own module so the schema migration, which db.ts runs, can use it).
import type { DuckDBConnection } from '@duckdb/node-api';

/** Runs `fn` between BEGIN and COMMIT; any error rolls back and is rethrown (naming a failed rollback too). */
export async function inTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const result = await fn();
    await conn.run('COMMIT');
    return result;
  } catch (err) {
    try {
      await conn.run('ROLLBACK');
    } catch (rollbackErr) {
      (err as Error).message += ` (and the rollback failed: ${(rollbackErr as Error).message})`;
    }
    throw err;
  }
}
