// The answer path outside a running server (the warmup CLI, benchmarks, tests): the same steps the router
// takes — canonical key at the store's watermark, cache, single flight, catalogue, msgpack — on one connection.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import type { AnswerPath } from '../answer-path.ts';
import { encode } from '../../shared/protocol.ts';
import { runQuery } from '../catalogue/index.ts';
import { makeKey } from '../cache/key.ts';
import { ownBytes } from '../cache/lru.ts';
import type { TieredCache } from '../cache/tiered.ts';
import { Flight } from '../flight.ts';
import type { ConnHolder } from '../conn-holder.ts';
import { readWatermark } from '../store/db.ts';
import { readGeneration } from '../store/version.ts';

export interface StoreAnswerPath extends AnswerPath {
  watermark: number;
  firstTs: number;
  /** Store generation, a key part (see server/cache/key.ts); change it when past data is revised. */
  generation: string;
  /** Re-reads the watermark (after new data); keys follow it. */
  refresh(): Promise<number>;
}

/**
 * `lanes`: the connections misses are computed on (default: `conn` alone); several let an offline warmup use every
 * core, one query per connection.
 */
export async function storeAnswerPath(
  conn: DuckDBConnection,
  cache: TieredCache,
  generation?: string,
  lanes?: ConnHolder,
): Promise<StoreAnswerPath> {
  const read = async () => {
    const w = await readWatermark(conn);
    if (!w) throw new Error('the store holds no data yet: build the demo or ingest AEMO files first');
    return w;
  };
  const w = await read();
  // The one connection is the only helper, and nothing closes it under a flight: no hand-over ever happens.
  const holder: ConnHolder = lanes ?? { closed: false, withConn: (fn) => fn(conn) };
  const flight = new Flight<Uint8Array>();
  const path: StoreAnswerPath = {
    cache,
    watermark: w.watermark,
    firstTs: w.firstTs,
    // The server keys by the store's own generation: warm under the same one.
    generation: generation ?? (await readGeneration(conn)),
    keyFor: (kind, params) =>
      makeKey(kind, params, path.watermark, { generation: path.generation, firstTs: path.firstTs }),
    async answer(kind: Kind, params: ParamsOf<Kind>) {
      const t0 = performance.now();
      const key = path.keyFor(kind, params);
      const hit = cache.get(key);
      if (hit) return { dataBytes: hit.bytes, tier: hit.tier, ms: performance.now() - t0 };
      const ctx = { watermark: path.watermark, firstTs: path.firstTs };
      const bytes = await flight.run(key.text, holder, async (c) => {
        // Callers keep these bytes after later encodes: never hand out a view into msgpackr's reused buffer.
        const own = ownBytes(encode(await runQuery({ ...ctx, conn: c }, kind, params)));
        void cache.set(key, own); // a failure is never stored: the next asker computes again
        return own;
      });
      return { dataBytes: bytes, tier: 'db', ms: performance.now() - t0 };
    },
    async refresh() {
      const next = await read();
      path.watermark = next.watermark;
      path.firstTs = next.firstTs;
      return path.watermark;
    },
  };
  return path;
}
