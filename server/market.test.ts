import { describe, expect, it } from 'vitest';
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
});
