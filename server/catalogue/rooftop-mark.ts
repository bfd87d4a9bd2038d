// Which points of an answer hold a rooftop value carried forward (rollups.ts, ROOFTOP_CARRY_S): the answer says so,
// and the client marks those points "rooftop estimated".
import type { RegionChoice } from '../../shared/nem.ts';
import type { RooftopMark } from '../../shared/kinds/series.ts';
import type { QueryContext } from './handler.ts';
import { columns, IN_REGION } from './sql.ts';
import { bucketSql, perRes, type SeriesWindow } from './window.ts';

/** `stamp` (of `ts`) of each interval of ($lo, $hi] whose rooftop value in $region (NEM: any) is carried forward. */
const carriedSql = (stamp: string) =>
  `SELECT DISTINCT ${stamp} AS ts FROM rooftop_carried WHERE ts > $lo AND ts <= $hi AND ${IN_REGION}`;
/** Those intervals. */
export const CARRIED_SQL = carriedSql('ts');
/** Their buckets at each resolution, in order. */
const MARKED_SQL = perRes((res) => `${carriedSql(bucketSql(res))} ORDER BY ts`);

/** `{ rooftopEstimated }` for a series answer over `sw`, or nothing when no point holds a carried value. */
export async function rooftopMark(ctx: QueryContext, sw: SeriesWindow, region: RegionChoice): Promise<RooftopMark> {
  if (sw.times.length === 0) return {};
  const c = await columns<{ ts: number[] }>(ctx.conn, MARKED_SQL[sw.res], { lo: sw.lo, hi: sw.hi, region });
  return c.ts.length > 0 ? { rooftopEstimated: c.ts.map(Number) } : {};
}
