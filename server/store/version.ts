// The store's identity and data version, kept in `meta`, so cache keys can name the data they were computed from
// across restarts: `store_id` is random, written once when a store is created (a rebuilt DATA_DIR gets a new one),
// and `data_version` goes up in the same transaction as any write that may change an answer already given at the
// current watermark. Appending intervals after the watermark does not bump it: the watermark is in the key.
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';

/** Writes `store_id` and `data_version` when missing (a new store, or one made before they existed). */
export async function ensureIdentity(conn: DuckDBConnection): Promise<void> {
  const id = randomBytes(8).toString('base64url');
  await conn.run(`INSERT INTO meta VALUES ('store_id', '${id}') ON CONFLICT (key) DO NOTHING`);
  await conn.run(`INSERT INTO meta VALUES ('data_version', '0') ON CONFLICT (key) DO NOTHING`);
}

/** Past data changed (or may have): answers cached under the previous version must not be served again. */
export async function bumpDataVersion(conn: DuckDBConnection): Promise<void> {
  await conn.run(`INSERT INTO meta VALUES ('data_version', '1')
    ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)`);
}

/** `store_id.data_version`: the cache-key generation for this store's current contents ('' for an old read-only store). */
export async function readGeneration(conn: DuckDBConnection): Promise<string> {
  const rows = (
    await conn.runAndReadAll(`SELECT key, value FROM meta WHERE key IN ('store_id', 'data_version')`)
  ).getRowObjectsJS();
  const meta = Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)]));
  if (meta.store_id === undefined) return '';
  return `${meta.store_id}.${meta.data_version ?? '0'}`;
}
