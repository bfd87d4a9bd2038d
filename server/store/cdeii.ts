// AEMO's CDEII "available generators" file (CO2EII_AVAILABLE_GENERATORS.CSV): t CO2-e per MWh sent out per genset,
// stored per DUID in `emission_factors` (read through the `unit_factor` view, emission-factors.ts).
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseNumber, type MmsTable, type RowSink } from './mms.ts';
import { refreshAllRollups } from './rollups.ts';

/** The MMS table of the CDEII files. */
export const CDEII_TABLE = 'CO2EII PUBLISHING';

/** Collects CDEII rows (DUID → its gensets' factors) while a file is parsed. */
export class FactorRows {
  readonly byDuid = new Map<string, number[]>();

  get size(): number {
    return this.byDuid.size;
  }

  /** Null for CDEII's other file, CO2EII_SUMMARY_RESULTS, which shares the table name but has no per-unit columns. */
  sink(table: MmsTable): RowSink | null {
    const duidField = table.field('DUID');
    const factorField = table.field('CO2E_EMISSIONS_FACTOR');
    if (duidField < 0 || factorField < 0) return null;
    return (f) => {
      const duid = f.get(duidField).trim();
      const factor = parseNumber(f.get(factorField), 'CO2E_EMISSIONS_FACTOR');
      if (!duid || factor === null) return;
      if (factor < 0 || factor > 5) throw new Error(`CO2E_EMISSIONS_FACTOR ${factor} for ${duid} is not t/MWh`);
      const list = this.byDuid.get(duid);
      if (list) list.push(factor);
      else this.byDuid.set(duid, [factor]);
    };
  }

  /**
   * Replaces the stored factors of the DUIDs seen and, when that changed any unit's factor, recomputes the rollups'
   * emissions over everything stored (in the caller's transaction, so a failing file changes neither). AEMO republishes
   * the file daily, mostly unchanged: the same factors cost no recompute.
   */
  async store(conn: DuckDBConnection): Promise<{ rows: number; changed: boolean }> {
    const before = await factorsHash(conn);
    const rows = [...this.byDuid].map(([duid, fs]) => {
      const mean = fs.reduce((a, b) => a + b, 0) / fs.length;
      return `('${duid.replace(/'/g, "''")}', ${mean}, ${fs.length})`;
    });
    for (let i = 0; i < rows.length; i += 500) {
      await conn.run(`INSERT OR REPLACE INTO emission_factors VALUES ${rows.slice(i, i + 500).join(', ')}`);
    }
    const changed = (await factorsHash(conn)) !== before;
    if (changed) await refreshAllRollups(conn);
    return { rows: rows.length, changed };
  }
}

/** A fingerprint of every unit's factor as queries read it. */
async function factorsHash(conn: DuckDBConnection): Promise<string> {
  const rows = (await conn.runAndReadAll('SELECT sum(hash(duid, factor))::VARCHAR FROM unit_factor')).getRows();
  return String(rows[0][0]);
}
