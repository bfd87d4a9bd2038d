// Tab plans: every tab a plan covers is exactly its panels' answers, so the server can compose a tab from cached
// panels (server/answer.ts panelsBytes) and send the same bytes a whole computation would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAB_KINDS, type Kind } from '../../shared/kinds.ts';
import { encode } from '../../shared/protocol.ts';
import { checked, syntheticStore } from '../../test/util/catalogue.ts';
import { panelsBytes } from '../answer.ts';
import { runQuery, type QueryContext } from './index.ts';
import { tabPanels, type Plan } from './tabs.ts';
import { T0, type TestStore } from '../../test/util/synthetic-data.ts';

let store: TestStore;
let ctx: QueryContext;
beforeAll(async () => {
  ({ store, ctx } = await syntheticStore());
});
afterAll(() => store?.close());

const CASES: [Kind, Record<string, unknown>][] = [
  ['tab.nem', { region: 'SA1' }],
  ['tab.nem', {}],
  ['tab.generation', { region: 'NSW1', range: '7d' }],
  ['tab.generation', { region: 'SA1', from: T0 + 3600, to: T0 + 86400 * 2, resolution: '30m' }],
  ['tab.prices', { regions: ['SA1', 'NSW1'], range: '24h', resolution: '5m' }],
  ['tab.stations', { region: 'SA1', station: 'Alpha Wind Farm', range: '7d' }],
  ['tab.stations', { duid: 'COAL1' }],
  ['tab.generators', { regions: ['NSW1'], range: '30d' }],
  ['tab.curtailment', { region: 'SA1', range: '7d', resolution: '30m' }],
  ['tab.curtailment', {}],
];

describe('tab plans', () => {
  it.each(CASES)(
    '%s %j: the panels spliced from their own answers are the bytes of the whole tab',
    async (kind, raw) => {
      const p = checked(kind, raw);
      const panels = tabPanels(kind, p);
      expect(panels).toBeDefined();
      const whole = encode(await runQuery(ctx, kind, p)).slice();
      const parts: Uint8Array[] = [];
      for (const x of panels!) parts.push(encode(await runQuery(ctx, x.kind, x.params)).slice());
      const composed = panelsBytes(
        panels!.map((x) => x.name),
        parts,
      );
      expect(Buffer.from(composed).equals(Buffer.from(whole))).toBe(true);
    },
  );

  it('every tab region variant of tab.nem shares its region-independent panels (same kind, same canonical params)', () => {
    const plans = ['NEM', 'NSW1', 'SA1'].map((region) => tabPanels('tab.nem', checked('tab.nem', { region }))!);
    const shared = (name: string) => new Set(plans.map((pl) => JSON.stringify(pl.find((x) => x.name === name))));
    expect(shared('prices').size).toBe(1);
    expect(shared('price').size).toBe(1);
    expect(shared('mix').size).toBe(3);
  });

  it('has a plan for every tab except tab.stations with no station chosen (its default is looked up)', () => {
    for (const kind of TAB_KINDS) {
      const p = checked(kind, {});
      if (kind === 'tab.stations') expect(tabPanels(kind, p)).toBeUndefined();
      else expect(tabPanels(kind, p)?.length).toBeGreaterThan(0);
    }
    expect(tabPanels('prices.current', checked('prices.current', {}))).toBeUndefined();
  });

  it("types a plan against the tab's result: the compiler refuses a panel too many, too few, or one that misfits", () => {
    const table = { kind: 'stations.table' as const, params: { regions: ['SA1' as const] } };
    const plans = [
      { table } satisfies Plan<'tab.generators'>,
      // @ts-expect-error tab.generators answers no panel called `extra`
      { table, extra: table } satisfies Plan<'tab.generators'>,
      // @ts-expect-error stations.search's answer is no StationsTable
      { table: { kind: 'stations.search', params: {} } } satisfies Plan<'tab.generators'>,
      // @ts-expect-error the `table` panel is missing
      {} satisfies Plan<'tab.generators'>,
    ];
    expect(plans).toHaveLength(4); // what this test checks, tsc checks (npm test runs it first)
  });
});
