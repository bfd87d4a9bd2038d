// Answers computed straight from a store, with no cache anywhere: what a served answer must equal.
import { Answerer } from '../../server/answer.ts';
import { LanePool } from '../../server/lane.ts';
import { Gate } from '../../server/fair-gate.ts';
import { Market } from '../../server/market.ts';
import { openStore, readWatermark } from '../../server/store/db.ts';
import { readGeneration } from '../../server/store/version.ts';
import type { Kind } from '../../shared/kinds.ts';
import { decode } from '../../shared/protocol.ts';
import { checked } from '../util/catalogue.ts';

export interface Question {
  kind: Kind;
  params: Record<string, unknown>;
}

/** Each question's data at the store's current watermark (decoded), and that watermark. */
export async function freshAnswers(
  dataDir: string,
  questions: Question[],
): Promise<{ watermark: number; data: unknown[] }> {
  const { instance } = await openStore({ dataDir, threads: 1 });
  const pool = new LanePool(instance, 1);
  try {
    const marks = (await pool.withConn(readWatermark))!;
    const market = new Market(marks.watermark, marks.firstTs, await pool.withConn(readGeneration));
    const answerer = new Answerer(market, undefined, new Gate(1, 1000));
    const data = [];
    for (const q of questions) {
      data.push(decode((await answerer.answer(q.kind, checked(q.kind, q.params), pool)).dataBytes));
    }
    return { watermark: marks.watermark, data };
  } finally {
    await pool.close();
    instance.closeSync();
  }
}
