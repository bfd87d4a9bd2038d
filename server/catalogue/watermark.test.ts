// Answers at a watermark must not move when the store already holds newer intervals (the live pipeline computes
// the next watermark's answers before advancing, and meanwhile answers at the old one): every kind, at 30m and 1d.
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_NAMES, KINDS, type Kind } from '../../shared/kinds.ts';
import { encode } from '../../shared/protocol.ts';
import { refreshRollups } from '../store/rollups.ts';
import { ask, syntheticStore } from '../../test/util/catalogue.ts';
import { rawRows, T0, type Raw, type TestStore } from '../../test/util/synthetic-data.ts';
import type { QueryContext } from './index.ts';

/** Each kind with typical params: ranges 24h/7d/30d × resolutions 30m/1d where the kind takes them. */
function cases(): { kind: Kind; params: Record<string, unknown> }[] {
  const out: { kind: Kind; params: Record<string, unknown> }[] = [];
  for (const kind of KIND_NAMES) {
    const spec: Record<string, unknown> = KINDS[kind];
    const base: Record<string, unknown> =
      kind === 'station.output' ? { station: 'Big Coal' } : kind === 'battery.soc' ? { station: 'Alpha Battery' } : {};
    const ranges = 'range' in spec ? ['24h', '7d', '30d'] : [undefined];
    const resolutions = 'resolution' in spec ? ['30m', '1d'] : [undefined];
    for (const range of ranges) {
      for (const resolution of resolutions)
        out.push({ kind, params: { ...base, ...(range && { range }), ...(resolution && { resolution }) } });
    }
  }
  return out;
}

/** Appends the synthetic rows after interval `after` (raw tables only) and refreshes their rollups, as ingest does. */
async function append(conn: DuckDBConnection, raw: Raw, after: number): Promise<void> {
  const values = (rows: unknown[][]) =>
    rows.map((r) => `(${r.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(',')})`).join(',');
  const late = <T extends { ts: number }>(rows: T[]) => rows.filter((r) => r.ts > after);
  await conn.run(`INSERT INTO price VALUES ${values(late(raw.price).map((r) => [r.ts, r.region, r.rrp, r.demand]))}`);
  await conn.run(`INSERT INTO scada VALUES ${values(late(raw.scada).map((r) => [r.ts, r.duid, r.mw]))}`);
  await conn.run(
    `INSERT INTO interconnector VALUES ${values(late(raw.ic).map((r) => [r.ts, r.id, r.mw, r.exp, r.imp, 0]))}`,
  );
  await conn.run(`INSERT INTO rooftop VALUES ${values(late(raw.rooftop).map((r) => [r.ts, r.region, r.type, r.mw]))}`);
  const last = Math.max(...raw.price.map((p) => p.ts));
  await refreshRollups(conn, after, last + 1800);
}

// Nine days and a bit: past the 8 days after which generation.timeOfDay reads half-hour rollups, and the
// watermark sits mid-bucket at both resolutions, so the partial buckets are what is tested.
const INTERVALS = 9 * 288 + 7;
const WATERMARK = T0 + INTERVALS * 300;

describe('answers depend only on intervals up to the watermark', () => {
  let store: TestStore;
  let ctx: QueryContext;
  const before = new Map<string, Uint8Array>();
  const all = cases();

  beforeAll(async () => {
    ({ store, ctx } = await syntheticStore(rawRows(INTERVALS)));
    ctx = { ...ctx, watermark: WATERMARK };
    expect(WATERMARK % 1800).not.toBe(0);
    for (const c of all) before.set(JSON.stringify(c), encode(await ask(ctx, c.kind, c.params)));
    // 200 more intervals: the rest of the watermark's half-hour and NEM day, and into the next day.
    await append(store.conn, rawRows(INTERVALS + 200), WATERMARK);
  });
  afterAll(() => store?.close());

  it('covers every kind', () => {
    expect(new Set(all.map((c) => c.kind))).toEqual(new Set(KIND_NAMES));
  });

  it.each(cases().map((c) => [`${c.kind} ${JSON.stringify(c.params)}`, c] as const))('%s', async (_name, c) => {
    const after = encode(await ask(ctx, c.kind, c.params));
    expect(Buffer.from(after).equals(Buffer.from(before.get(JSON.stringify(c))!))).toBe(true);
  });
});
