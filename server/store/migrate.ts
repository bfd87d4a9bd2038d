// Brings a store written by an older NEM Live up to SCHEMA_VERSION when it is opened for writing. New tables come
// from SCHEMA_SQL's CREATE TABLE IF NOT EXISTS; what that cannot do, new columns of existing tables, is done here,
// with the values they would have had, so an old store answers every kind as a store built today would.
import type { DuckDBConnection } from '@duckdb/node-api';
import { inTransaction } from './transaction.ts';
import { addDemoForecasts } from './demo-forecast.ts';
import { refreshAllRollups } from './rollups.ts';
import { bumpDataVersion } from './version.ts';

/**
 * Version 4 added t CO2-e to the rollups and the unit_curtailment_1d and battery_1d rollups (new tables, created
 * empty by SCHEMA_SQL): recomputing every rollup fills all three.
 */
const CO2_TABLES = ['gen_5m', 'gen_30m', 'gen_1d', 'unit_1d'] as const;

/** The schema version the store was last opened with, or null for a store being created. */
async function storedVersion(conn: DuckDBConnection): Promise<number | null> {
  const rows = (await conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`)).getRows();
  return rows.length > 0 ? Number(rows[0][0]) : null;
}

/**
 * Adds the rollups' co2 column to a store older than version 4 and recomputes every rollup over
 * the whole stored range, in one transaction; bumps the data version, so answers cached before are not served again.
 * Returns whether it did anything.
 */
export async function migrateStore(conn: DuckDBConnection): Promise<boolean> {
  const version = await storedVersion(conn);
  if (version === null || version >= 5) return false;
  if (version < 4) {
    await inTransaction(conn, async () => {
      for (const t of CO2_TABLES) await conn.run(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS co2 DOUBLE`);
      await refreshAllRollups(conn);
      await bumpDataVersion(conn);
    });
  }
  // Version 5 added the forecast tables (created empty by SCHEMA_SQL): a demo store gets the runs a build would have
  // made (AEMO data gets its runs from the files it is fed). Forecast answers at this watermark change: a new version.
  if (await addDemoForecasts(conn)) await bumpDataVersion(conn);
  return true;
}
