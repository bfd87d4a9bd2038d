// The answer path outside a running server (the warmup CLI, benchmarks, tests): the server's own answerer
// (server/answer.ts: canonical key at the store's watermark, cache, single flight, catalogue, msgpack, tabs composed
// from their panels' answers) over a market read from the store, on one connection or a few lanes.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AnswerPath } from '../answer-path.ts';
import { Answerer } from '../answer.ts';
import type { TieredCache } from '../cache/tiered.ts';
import type { ConnHolder } from '../conn-holder.ts';
import { Gate } from '../fair-gate.ts';
import { Market } from '../market.ts';
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
  // The server keys by the store's own generation: warm under the same one.
  const market = new Market(w.watermark, w.firstTs, generation ?? (await readGeneration(conn)));
  // Nothing closes these connections under a flight. Asked as a client asks (counted as hot), never refused.
  const holder: ConnHolder = lanes ?? { closed: false, withConn: (fn) => fn(conn) };
  const gate = new Gate(holder.width ?? 1, Number.POSITIVE_INFINITY);
  // The server's own answerer: tabs composed from their panels' cached answers, misses computed once.
  const inner = new Answerer(market, cache, gate).path(holder)!;
  return {
    ...inner,
    get watermark() {
      return market.watermark;
    },
    get firstTs() {
      return market.firstTs;
    },
    get generation() {
      return market.generation;
    },
    set generation(g: string) {
      market.advance(market.watermark, { generation: g });
    },
    async refresh() {
      const next = await read();
      market.advance(next.watermark, { firstTs: next.firstTs });
      return market.watermark;
    },
  };
}
