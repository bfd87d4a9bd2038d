// A range preset that reaches back past the store's first interval shares `all`'s cache key (server/cache/key.ts):
// that is only sound if every cached kind answers all such presets byte for byte alike. Checked here for every kind
// with a range, on the synthetic store (three days: 7d, 30d, 90d and 1y all cover it; 24h does not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_NAMES, KINDS, RANGES, UNCACHED, type Kind, type ParamSpec } from '../../shared/kinds.ts';
import { encode } from '../../shared/protocol.ts';
import { runQuery } from '../catalogue/index.ts';
import type { QueryContext } from '../catalogue/handler.ts';
import { checked, syntheticStore } from '../../test/util/catalogue.ts';
import type { TestStore } from '../../test/util/synthetic-data.ts';
import { makeKey } from './key.ts';

let store: TestStore;
let ctx: QueryContext;
beforeAll(async () => {
  ({ store, ctx } = await syntheticStore());
});
afterAll(() => store.close());

const ranged = KIND_NAMES.filter((k) => !UNCACHED.has(k) && 'range' in KINDS[k]);
const base = (kind: Kind): Record<string, unknown> =>
  kind === 'station.output' || kind === 'tab.stations'
    ? { station: 'Big Coal' }
    : kind === 'battery.soc'
      ? { station: 'Alpha Battery' }
      : {};

describe('presets covering the whole store', () => {
  it('share the key of `all`, and only they do', () => {
    const at = { generation: 'g', firstTs: ctx.firstTs };
    const text = (range: string) => makeKey('prices.history', checked('prices.history', { range }), ctx.watermark, at);
    const all = text('all').text;
    expect(ctx.watermark - ctx.firstTs).toBeLessThan(7 * 86400);
    expect(RANGES.filter((r) => text(r).text === all)).toEqual(['7d', '30d', '90d', '1y', 'all']);
    expect(text('24h').query).not.toBe(text('7d').query); // the question itself keeps its preset
    // Without the first interval, every preset is its own key.
    expect(makeKey('prices.history', checked('prices.history', { range: '1y' }), ctx.watermark).text).not.toBe(all);
  });

  it.each(ranged)('%s answers them byte for byte alike', async (kind) => {
    expect(ranged.length).toBeGreaterThan(20);
    const spec = KINDS[kind] as Record<string, ParamSpec>;
    const covering = (spec.range as { values: readonly string[] }).values.filter((r) => r !== '24h');
    expect(covering.length).toBeGreaterThan(1);
    const resolutions = 'resolution' in spec ? [undefined, '1d'] : [undefined];
    for (const resolution of resolutions) {
      const answer = async (range: string) =>
        Buffer.from(
          encode(await runQuery(ctx, kind, checked(kind, { ...base(kind), range, ...(resolution && { resolution }) }))),
        );
      const first = await answer(covering[0]);
      for (const range of covering.slice(1)) expect((await answer(range)).equals(first), range).toBe(true);
    }
  });
});
