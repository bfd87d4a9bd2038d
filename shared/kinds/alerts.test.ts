// The alerts subscription's rules: validated like any parameter (bounded count and values, clear refusals), made
// canonical (so equal rule sets share a push frame), and matched against events as the words say.
import { describe, expect, it } from 'vitest';
import { validateParams } from '../kinds.ts';
import { MAX_RULES, rulesMatch, type AlertEvent } from './alerts.ts';

const rules = (raw: unknown) => validateParams('alerts', { rules: raw });
const refused = (raw: unknown) => {
  const v = rules(raw);
  return v.ok ? 'accepted' : v.message;
};

describe('alert rules', () => {
  it('takes maps or REGION:condition[:threshold] texts, sorted and without repeats', () => {
    const a = rules(['SA1:price.above:1000', { region: 'NSW1', condition: 'price.negative' }, 'SA1:price.above:1000']);
    const b = rules('NSW1:price.negative, SA1:price.above:1000');
    expect(a).toEqual(b);
    expect(a.ok && a.params.rules).toEqual([
      { region: 'NSW1', condition: 'price.negative' },
      { region: 'SA1', condition: 'price.above', threshold: 1000 },
    ]);
    expect(validateParams('alerts', {})).toMatchObject({ ok: true, params: { rules: [] } });
    expect(rules(['NEM:notice.lor'])).toMatchObject({ params: { rules: [{ condition: 'notice.lor', threshold: 1 }] } });
  });

  it('refuses bad rules with a message naming what is accepted', () => {
    expect(refused('SA1:price.above:999')).toMatch(
      /^rules: price.above needs a threshold, one of 300 1000 5000 10000 20300/,
    );
    expect(refused('SA1:price.above')).toMatch(/price.above needs a threshold/);
    expect(refused('XX1:price.negative')).toMatch(/region must be one of NSW1 QLD1 VIC1 SA1 TAS1 NEM/);
    expect(refused('SA1:price.sideways')).toMatch(/condition must be one of price.above price.negative/);
    expect(refused('SA1:price.negative:5')).toMatch(/price.negative takes no threshold/);
    expect(refused('NEM:notice.lor:4')).toMatch(/notice.lor takes a threshold of 1, 2 or 3/);
    expect(refused([{ region: 'SA1', condition: 'price.negative', extra: 1 }])).toMatch(/not "extra"/);
    expect(refused([{ region: 'SA1', condition: 'price.above', threshold: '1000' }])).toMatch(/needs a threshold/);
    expect(refused([42])).toMatch(/each rule must be a map/);
    expect(refused({ region: 'SA1' })).toMatch(/must be a list of rules/);
    expect(refused('SA1;DROP TABLE price')).toMatch(/is not REGION:condition\[:threshold\]/);
    expect(refused('x'.repeat(5000))).toMatch(/is not REGION:condition/);
    const many = Array.from({ length: MAX_RULES + 1 }, () => 'SA1:price.negative');
    expect(refused(many)).toMatch(/holds at most 16 rules/);
  });

  it('matches events by region (NEM: any; a market-wide notice: every region), condition and level', () => {
    const ev = (e: Partial<AlertEvent>): AlertEvent => ({
      seq: 1,
      key: 'k',
      type: 'price.above',
      region: 'SA1',
      time: 0,
      value: 1200,
      level: 1000,
      text: '',
      notice: null,
      ...e,
    });
    const r = (text: string) => {
      const v = rules(text);
      if (!v.ok) throw new Error(v.message);
      return v.params.rules;
    };
    expect(rulesMatch(r('SA1:price.above:1000'), ev({}))).toBe(true);
    expect(rulesMatch(r('NEM:price.above:1000'), ev({}))).toBe(true);
    expect(rulesMatch(r('NSW1:price.above:1000'), ev({}))).toBe(false);
    expect(rulesMatch(r('SA1:price.above:300'), ev({}))).toBe(false); // each level is its own event
    const lor = (lorLevel: number, region: AlertEvent['region'] = 'QLD1') =>
      ev({
        type: 'notice',
        region,
        value: null,
        level: lorLevel,
        notice: {
          id: 1,
          typeId: 'RESERVE NOTICE',
          reference: '',
          category: 'lor',
          lor: lorLevel,
          forecast: true,
          cancelled: false,
        },
      });
    expect(rulesMatch(r('QLD1:notice.lor:2'), lor(1))).toBe(false);
    expect(rulesMatch(r('QLD1:notice.lor:2'), lor(3))).toBe(true);
    expect(rulesMatch(r('SA1:notice.reserve'), lor(1, null))).toBe(true);
    expect(rulesMatch(r('SA1:notice.reserve'), lor(1, 'QLD1'))).toBe(false);
    expect(rulesMatch(r('SA1:market.suspended'), ev({ type: 'market.suspended' }))).toBe(true);
    expect(rulesMatch([], ev({ type: 'demand.record' }))).toBe(true);
  });
});
