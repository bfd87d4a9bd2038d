import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, parseView, regionsOf, tabRequest, toggleIn, viewToSearch } from './url-state.ts';
import { validateParams } from '../../shared/kinds.ts';
import { REGIONS } from '../../shared/nem.ts';

describe('url state', () => {
  it('reads the contract example link', () => {
    const v = parseView('?tab=prices&region=SA1&range=7d');
    expect(v).toMatchObject({ tab: 'prices', region: 'SA1', range: '7d', from: null, to: null });
    expect(viewToSearch(v)).toBe('?tab=prices&region=SA1&range=7d');
  });

  it('falls back to defaults for each bad value without losing the good ones', () => {
    const v = parseView('?tab=nope&region=XX&range=3w&resolution=1s&regions=FOO,SA1&fuels=Coal,Plutonium');
    expect(v).toMatchObject({
      tab: DEFAULT_VIEW.tab,
      region: DEFAULT_VIEW.region,
      range: DEFAULT_VIEW.range,
      resolution: 'auto',
      regions: ['SA1'],
      fuels: ['Coal'],
    });
  });

  it('round-trips a custom window in NEM time, readable in the address bar', () => {
    const v = parseView(
      '?tab=generation&region=VIC1&range=custom&from=2026-03-01T00:00&to=2026-03-08T12:30&resolution=30m',
    );
    expect(v.range).toBe('custom');
    expect(v.from).toBe(Date.UTC(2026, 1, 28, 14, 0) / 1000); // 00:00 NEM = 14:00 UTC the day before
    expect(v.to! - v.from!).toBe(7.5 * 86400 + 1800);
    expect(viewToSearch(v)).toBe(
      '?tab=generation&region=VIC1&range=custom&from=2026-03-01T00:00&to=2026-03-08T12:30&resolution=30m',
    );
    expect(parseView(viewToSearch(v))).toEqual(v);
  });

  it('ignores an inverted custom window', () => {
    const v = parseView('?range=custom&from=2026-03-08T00:00&to=2026-03-01T00:00');
    expect(v).toMatchObject({ range: DEFAULT_VIEW.range, from: null, to: null });
  });

  it('a duid wins over a station name', () => {
    expect(parseView('?tab=stations&duid=BAYSW1&station=Bayswater')).toMatchObject({ duid: 'BAYSW1', station: null });
    expect(parseView('?tab=stations&station=Bayswater%20Power%20Station')).toMatchObject({
      duid: null,
      station: 'Bayswater Power Station',
    });
  });

  it('multi-region tabs follow the region unless regions are chosen', () => {
    expect(regionsOf(parseView('?region=NEM'))).toEqual([...REGIONS]);
    expect(regionsOf(parseView('?region=QLD1'))).toEqual(['QLD1']);
    expect(regionsOf(parseView('?region=QLD1&regions=SA1,NSW1'))).toEqual(['NSW1', 'SA1']);
  });

  it('every tab asks for parameters its kind accepts', () => {
    const views = [
      '?tab=nem&region=SA1',
      '?tab=generation&region=NEM&range=30d&resolution=1d',
      '?tab=prices&region=NEM&range=custom&from=2026-03-01T00:00&to=2026-03-02T00:00',
      '?tab=stations&region=NSW1&duid=BAYSW1&range=24h',
      '?tab=stations&station=Big%20Coal',
      '?tab=generators&regions=VIC1&fuels=Wind,Solar&range=1y',
      '?tab=curtailment&region=SA1&range=30d&resolution=1d',
      '?tab=curtailment&region=NEM&range=custom&from=2026-03-01T00:00&to=2026-03-02T00:00',
    ];
    for (const search of views) {
      const { kind, params } = tabRequest(parseView(search));
      const checked = validateParams(kind, params);
      expect(checked.ok, `${search}: ${!checked.ok && checked.message}`).toBe(true);
    }
  });

  it('toggles a chip in or out, keeping the canonical order', () => {
    expect(toggleIn(REGIONS, ['NSW1', 'VIC1'], 'NSW1')).toEqual(['VIC1']);
    expect(toggleIn(REGIONS, ['SA1', 'VIC1'], 'QLD1')).toEqual(['QLD1', 'VIC1', 'SA1']);
    expect(toggleIn(REGIONS, ['SA1'], 'SA1')).toEqual([]);
  });
});
