import { describe, expect, it } from 'vitest';
import { isTabKind, KIND_NAMES, KINDS, RANGES, TAB_KINDS, UNCACHED, validateParams } from '../../shared/kinds.ts';
import { REGION_CHOICES, REGIONS } from '../../shared/nem.ts';
import { canonicalJson } from '../cache/key.ts';
import { warmList } from './list.ts';

describe('warmList', () => {
  const list = warmList();
  const has = (kind: string, pred: (p: Record<string, unknown>) => boolean) =>
    list.some((q) => q.kind === kind && pred(q.params as Record<string, unknown>));

  it('covers every tab kind × region × range preset', () => {
    for (const kind of TAB_KINDS) {
      for (const region of REGION_CHOICES) {
        const inRegion = (p: Record<string, unknown>) =>
          p.region === region ||
          (region === 'NEM'
            ? Array.isArray(p.regions) && p.regions.length === REGIONS.length
            : Array.isArray(p.regions) && p.regions.length === 1 && p.regions[0] === region);
        for (const range of RANGES) {
          expect(
            has(kind, (p) => inRegion(p) && (p.range === undefined || p.range === range)),
            `${kind} ${region} ${range}`,
          ).toBe(true);
        }
      }
    }
    expect(list.filter((q) => q.kind === 'tab.generation')).toHaveLength(REGION_CHOICES.length * RANGES.length);
  });

  it('adds every other kind that needs no user choice, per region, and nothing that cannot validate', () => {
    const cached = KIND_NAMES.filter((k) => !UNCACHED.has(k));
    for (const kind of cached.filter((k) => !isTabKind(k) && k !== 'station.output' && k !== 'battery.soc'))
      expect(
        has(kind, () => true),
        kind,
      ).toBe(true);
    expect(has('station.output', () => true)).toBe(false); // it needs a unit
    expect(has('battery.soc', () => true)).toBe(false);
    for (const kind of UNCACHED)
      expect(
        has(kind, () => true),
        kind,
      ).toBe(false); // never cached: nothing to warm
    expect(list.filter((q) => q.kind === 'generation.mix').map((q) => (q.params as { region: string }).region)).toEqual(
      [...REGION_CHOICES],
    );
  });

  it('holds canonical params (validation leaves them unchanged) and no duplicates, the default range first', () => {
    const ids = list.map((q) => `${q.kind}|${canonicalJson(q.params)}`);
    expect(new Set(ids).size).toBe(list.length);
    for (const q of list) {
      const v = validateParams(q.kind, q.params);
      expect(v.ok && canonicalJson(v.params)).toBe(canonicalJson(q.params));
    }
    // A kind whose own default range is not 24h (demand.records: all) is warmed at its default, with the rest.
    const atDefault = (q: (typeof list)[number]) => {
      const range = (q.params as { range?: string }).range;
      const own = (KINDS[q.kind] as { range?: { default?: string } }).range?.default;
      return range === undefined || range === '24h' || range === own;
    };
    const firstOther = list.findIndex((q) => !atDefault(q));
    expect(list.slice(0, firstOther).every(atDefault)).toBe(true);
    expect(list.slice(firstOther).some((q) => (q.params as { range?: string }).range === '24h')).toBe(false);
  });
});
