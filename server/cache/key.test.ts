import { describe, expect, it } from 'vitest';
import { validateParams } from '../../shared/kinds.ts';
import { canonicalJson, makeKey } from './key.ts';

const valid = <K extends 'prices.history' | 'generation.byFuel' | 'generation.mix' | 'tab.prices'>(
  kind: K,
  raw: unknown,
) => {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(v.message);
  return v.params;
};
const text = (kind: 'prices.history' | 'generation.byFuel', raw: unknown) => makeKey(kind, valid(kind, raw), 1000).text;

describe('makeKey', () => {
  it('gives equal keys for equal questions however they were written', () => {
    const a = makeKey(
      'prices.history',
      valid('prices.history', { regions: ['SA1', 'NSW1'], range: '7d' }),
      1_700_000_000,
    );
    const b = makeKey(
      'prices.history',
      valid('prices.history', { range: '7d', regions: ['NSW1', 'SA1', 'SA1'], resolution: 'auto' }),
      1_700_000_000,
    );
    expect(a.text).toBe(b.text);
    expect(a.text).toContain('"range":"7d"'); // relative ranges stay named, not resolved to times
    expect(text('prices.history', { regions: 'SA1' })).toBe(text('prices.history', { regions: ['SA1'] }));
    expect(text('generation.byFuel', {})).toBe(
      text('generation.byFuel', { resolution: 'auto', range: '24h', region: 'NEM' }),
    );
    expect(text('generation.byFuel', { range: '7d', region: 'SA1' })).toBe(
      text('generation.byFuel', { region: 'SA1', range: '7d' }),
    );
    expect(text('generation.byFuel', { region: 'SA1' })).not.toBe(text('generation.byFuel', { region: 'VIC1' }));
  });

  it('changes with the watermark for relative ranges, so a new interval never serves the old answer', () => {
    const p = valid('generation.byFuel', { region: 'SA1', range: '24h' });
    const before = makeKey('generation.byFuel', p, 1_700_000_000);
    const after = makeKey('generation.byFuel', p, 1_700_000_300);
    expect(before.text).not.toBe(after.text);
    expect(before.query).toBe(after.query);
    expect(after.watermark).toBe(1_700_000_300);
    const mix = valid('generation.mix', {});
    expect(makeKey('generation.mix', mix, 1).text).not.toBe(makeKey('generation.mix', mix, 2).text);
  });

  it('omits the watermark for a fixed window that ends before it, and keeps it when the window reaches it', () => {
    const past = valid('generation.byFuel', { region: 'SA1', from: 1_690_000_000, to: 1_690_086_400 });
    const k1 = makeKey('generation.byFuel', past, 1_700_000_000);
    const k2 = makeKey('generation.byFuel', past, 1_700_000_300);
    expect(k1.text).toBe(k2.text);
    expect(k1.watermark).toBeNull();
    const open = valid('generation.byFuel', { region: 'SA1', from: 1_699_990_000, to: 1_700_086_400 });
    expect(makeKey('generation.byFuel', open, 1_700_000_000).text).not.toBe(
      makeKey('generation.byFuel', open, 1_700_000_300).text,
    );
  });

  it('keeps the watermark for a tab over a past window: its forecast panel is the newest run, whatever the window', () => {
    const past = valid('tab.prices', { regions: ['SA1'], from: 1_690_000_000, to: 1_690_086_400 });
    expect(makeKey('tab.prices', past, 1_700_000_000).text).not.toBe(makeKey('tab.prices', past, 1_700_000_300).text);
  });

  it('keeps the watermark for a window ending less than a day before it: its last daily bucket is still filling', () => {
    const recent = valid('generation.byFuel', {
      region: 'SA1',
      from: 1_699_000_000,
      to: 1_699_990_000,
      resolution: '1d',
    });
    expect(makeKey('generation.byFuel', recent, 1_700_000_000).watermark).toBe(1_700_000_000);
    expect(makeKey('generation.byFuel', recent, 1_699_990_000 + 86_400).watermark).toBeNull();
  });

  it('separates store generations', () => {
    const p = valid('generation.byFuel', {});
    expect(makeKey('generation.byFuel', p, 1, { generation: 'a' }).text).not.toBe(
      makeKey('generation.byFuel', p, 1, { generation: 'b' }).text,
    );
  });

  it('serialises members in sorted order and skips undefined ones', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: 'x' }] })).toBe('{"a":[2,{"c":"x"}],"b":1}');
  });
});
