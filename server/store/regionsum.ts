// Keeps price.demand_mw in step with `regionsum` whichever arrives first, so no import depends on file order:
// a REGIONSUM file writes its demand onto the price rows already stored, and a PRICE file takes the demand of the
// regionsum rows already stored. The dashboard reads demand from price.demand_mw (demand-weighted prices).
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Window } from './window.ts';

const within = (col: string, w: Window) => `${col} BETWEEN ${w.minTs} AND ${w.maxTs}`;

/**
 * Before staged price rows (ingest_fin_price) replace the stored ones: their demand is REGIONSUM's where stored, else
 * their own (legacy DREGION), else what the replaced row had (DISPATCH PRICE carries none; the demo's stays).
 */
export async function demandForStagedPrices(conn: DuckDBConnection, w: Window): Promise<void> {
  await conn.run(`UPDATE ingest_fin_price f SET demand_mw = r.totaldemand FROM regionsum r
    WHERE ${within('r.ts', w)} AND r.ts = f.ts AND r.region = f.region`);
  await conn.run(`UPDATE ingest_fin_price f SET demand_mw = p.demand_mw FROM price p
    WHERE f.demand_mw IS NULL AND ${within('p.ts', w)} AND p.ts = f.ts AND p.region = f.region`);
}

/** After staged regionsum rows (ingest_fin_regionsum) are stored: their demand onto the price rows already there. */
export async function demandOntoPrices(conn: DuckDBConnection, w: Window): Promise<void> {
  await conn.run(`UPDATE price SET demand_mw = f.totaldemand FROM ingest_fin_regionsum f
    WHERE ${within('price.ts', w)} AND price.ts = f.ts AND price.region = f.region`);
}
