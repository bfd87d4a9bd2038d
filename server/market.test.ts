import { describe, expect, it } from 'vitest';
import { keyGeneration } from './cache/generation.ts';
import { validateParams } from '../shared/kinds.ts';
import { Market } from './market.ts';

const T = 1775000100; // 2026-04-01 09:35 NEM time

describe('Market', () => {
  it('has no watermark before any data, and the first data sets both marks, however old', () => {
    const m = new Market();
    expect({ hasData: m.hasData, watermark: m.watermark, iso: m.iso }).toEqual({
      hasData: false,
      watermark: 0,
      iso: '',
    });
    const events: unknown[] = [];
    m.onAdvance((e) => events.push(e));
    expect(m.advance(T, { firstTs: T - 3600 })).toBe(true);
    expect({ hasData: m.hasData, watermark: m.watermark, firstTs: m.firstTs, iso: m.iso }).toEqual({
      hasData: true,
      watermark: T,
      firstTs: T - 3600,
      iso: '2026-04-01T09:35:00+10:00',
    });
    expect(events).toEqual([{ watermark: T, previous: 0, revised: false }]);
  });

  it('takes the watermark as the first interval when the first advance does not name one', () => {
    const m = new Market();
    m.advance(T);
    expect(m.firstTs).toBe(T);
  });

  it('moves forward only, and the first interval only back', () => {
    const m = new Market(T, T - 3600);
    expect(m.advance(T - 300, { firstTs: T - 7200 })).toBe(false);
    expect(m.firstTs).toBe(T - 3600);
    expect(m.advance(T + 300, { firstTs: T - 7200 })).toBe(true);
    expect({ watermark: m.watermark, firstTs: m.firstTs }).toEqual({ watermark: T + 300, firstTs: T - 7200 });
    m.advance(T + 600, { firstTs: T });
    expect(m.firstTs).toBe(T - 7200);
  });

  it('keeps a revision id reserved for a stage from any revision named meanwhile', () => {
    // The pipeline stages a backfill's answers at the generation the market is about to name; the feed's own revision
    // (SCADA after its prices) named while it does took that generation's id, and a key meeting both revisions' spans
    // (an answer over all data) got the same part under both: the staged answer, computed without the feed's rows, was
    // served as the feed's revision's for as long as the stage went on.
    const all = validateParams('prices.stats', { range: 'all' });
    if (!all.ok) throw new Error(all.message);
    const part = (g: string) => keyGeneration(g, 'prices.stats', all.params, T, T - 400 * 86400);
    const m = new Market(T, T - 400 * 86400, 'abc.3');
    const staged = m.reserveRevision({ minTs: T - 60 * 86400, maxTs: T - 30 * 86400 });
    expect(m.advance(T, { revised: true, span: { minTs: T - 300, maxTs: T } })).toBe(true);
    const feeds = m.generation;
    expect(part(feeds)).not.toBe(part(staged));
    // The backfill's revision then named after the feed's: every key they meet moves on past both.
    expect(m.advance(T, { revised: true, span: { minTs: T - 60 * 86400, maxTs: T - 30 * 86400 } })).toBe(true);
    expect([part(feeds), part(staged)]).not.toContain(part(m.generation));
    // Unhindered, the reserved generation is the one named.
    const next = m.reserveRevision({ minTs: T - 90 * 86400, maxTs: T - 80 * 86400 });
    expect(m.advance(T, { generation: next })).toBe(true);
    expect(m.generation).toBe(next);
  });
});
