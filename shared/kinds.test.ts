// Parameter validation: clear refusals, and canonical params so equal queries share one cache key.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ABOUT, isKind, KIND_NAMES, pickResolution, resolveWindow, validateParams, type Kind } from './kinds.ts';

function refuse(kind: Kind, params: unknown): string {
  const v = validateParams(kind, params);
  if (v.ok) throw new Error(`expected ${kind} ${JSON.stringify(params)} to be refused`);
  return v.message;
}
function accept(kind: Kind, params: unknown): Record<string, unknown> {
  const v = validateParams(kind, params);
  if (!v.ok) throw new Error(v.message);
  return v.params as Record<string, unknown>;
}
/** The canonical params as text, member order included: equal queries must give equal text (and so equal keys). */
const canonical = (kind: Kind, params: unknown) => JSON.stringify(accept(kind, params));
const FROM = 1775000000;

describe('validateParams', () => {
  it('refuses an unknown parameter, naming it and the expected ones', () => {
    expect(refuse('generation.byFuel', { regoin: 'SA1' })).toBe(
      'unknown parameter "regoin" for generation.byFuel; expected region, range, from, to, resolution',
    );
    expect(refuse('prices.current', { region: 'SA1' })).toMatch(/expected none/);
    expect(refuse('generation.mix', { ['x'.repeat(500)]: 1 }).length).toBeLessThan(120); // echoes are cut short
  });

  it('refuses params that are not a map', () => {
    expect(refuse('generation.mix', [])).toBe('params must be a map');
    expect(refuse('generation.mix', 'SA1')).toBe('params must be a map');
    expect(accept('generation.mix', undefined)).toEqual({ region: 'NEM' });
  });

  it('refuses wrong types and values outside an enum', () => {
    expect(refuse('generation.mix', { region: 5 })).toBe('region must be one of NSW1 QLD1 VIC1 SA1 TAS1 NEM');
    expect(refuse('generation.byFuel', { range: '2d' })).toBe('range must be one of 24h 7d 30d 90d 1y all');
    expect(refuse('generation.byFuel', { resolution: '15m' })).toMatch(/^resolution must be one of 5m 30m 1d auto$/);
    expect(refuse('prices.history', { regions: ['SA1', 'NEM'] })).toBe(
      'regions must only contain NSW1 QLD1 VIC1 SA1 TAS1',
    );
    expect(refuse('prices.history', { regions: [] })).toMatch(/non-empty list/);
    expect(refuse('stations.search', { limit: 0 })).toBe('limit must be a whole number from 1 to 500');
    expect(refuse('stations.search', { limit: '10' })).toMatch(/^limit must be a whole number/);
    expect(refuse('stations.search', { q: 'x'.repeat(65) })).toBe('q must be a string of at most 64 characters');
    expect(refuse('station.output', { duid: 42 })).toMatch(/^duid must be a string/);
  });

  it('enforces the from/to rules', () => {
    expect(refuse('prices.stats', { from: FROM })).toBe('from and to must be given together');
    expect(refuse('prices.stats', { from: FROM, to: FROM })).toBe('from must be before to');
    expect(refuse('prices.stats', { from: FROM + 1.5, to: FROM + 600 })).toMatch(
      /^from must be whole epoch seconds between/,
    );
    expect(refuse('prices.stats', { from: 100, to: FROM })).toMatch(/^from must be whole epoch seconds/);
    expect(refuse('prices.stats', { from: 946684800, to: 946684800 + 21 * 365 * 86400 })).toBe(
      'from..to spans more than 20 years',
    );
    // an explicit window replaces the preset, whichever was sent
    expect(accept('prices.stats', { from: FROM, to: FROM + 600, range: '7d' })).toEqual({
      from: FROM,
      regions: ['NSW1', 'QLD1', 'VIC1', 'SA1', 'TAS1'],
      to: FROM + 600,
    });
  });

  it('needs exactly one of duid and station for station.output', () => {
    expect(refuse('station.output', {})).toBe('give exactly one of duid or station');
    expect(refuse('station.output', { duid: 'A', station: 'B' })).toBe('give exactly one of duid or station');
    expect(refuse('station.output', { duid: '   ' })).toBe('give exactly one of duid or station');
    expect(accept('station.output', { duid: ' AGLHAL ' }).duid).toBe('AGLHAL');
  });

  it('gives equal queries equal canonical params: defaults filled, lists in schema order and de-duplicated, key order ignored', () => {
    expect(canonical('prices.history', { regions: ['SA1', 'NSW1', 'SA1'] })).toBe(
      canonical('prices.history', { regions: ['NSW1', 'SA1'] }),
    );
    expect(canonical('prices.history', { regions: 'SA1' })).toBe(canonical('prices.history', { regions: ['SA1'] }));
    expect(canonical('generation.byFuel', {})).toBe(
      canonical('generation.byFuel', { resolution: 'auto', range: '24h', region: 'NEM' }),
    );
    expect(canonical('generation.byFuel', { range: '7d', region: 'SA1' })).toBe(
      canonical('generation.byFuel', { region: 'SA1', range: '7d' }),
    );
    expect(canonical('generation.byFuel', { region: 'SA1' })).not.toBe(
      canonical('generation.byFuel', { region: 'VIC1' }),
    );
  });

  it('accepts default params for every kind except those naming a unit (station.output, battery.soc)', () => {
    for (const kind of KIND_NAMES) {
      expect(validateParams(kind, {}).ok, kind).toBe(kind !== 'station.output' && kind !== 'battery.soc');
    }
    expect(isKind('tab.nem')).toBe(true);
    expect(isKind('toString')).toBe(false);
  });

  it("is documented: the README's kinds table has a row for every kind, in registry order", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('| kind | parameters (defaults) |')).split('\n\n')[0];
    expect([...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1])).toEqual(KIND_NAMES);
  });

  it('says how each kind is computed, in a sentence or two the dashboard can show', () => {
    for (const kind of KIND_NAMES) {
      expect(ABOUT[kind].length, kind).toBeGreaterThan(30);
      expect(ABOUT[kind].length, kind).toBeLessThan(400);
      expect(ABOUT[kind], kind).toMatch(/[.)]$/);
    }
  });
});

describe('windows and resolution', () => {
  const wm = 1790000000;
  it('resolves presets against the watermark and "all" from the first interval', () => {
    expect(resolveWindow({ range: '7d' }, wm, wm - 1e6)).toEqual({ from: wm - 7 * 86400, to: wm });
    expect(resolveWindow({ range: 'all' }, wm, wm - 1e6)).toEqual({ from: wm - 1e6 - 300, to: wm });
    expect(resolveWindow({ from: 1, to: 2 }, wm, 0)).toEqual({ from: 1, to: 2 });
  });
  it('auto picks 5-minute up to 8 days, 30-minute up to 92, daily beyond; explicit wins', () => {
    expect(pickResolution('auto', { from: 0, to: 7 * 86400 })).toBe('5m');
    expect(pickResolution('auto', { from: 0, to: 30 * 86400 })).toBe('30m');
    expect(pickResolution(undefined, { from: 0, to: 365 * 86400 })).toBe('1d');
    expect(pickResolution('5m', { from: 0, to: 365 * 86400 })).toBe('5m');
  });
});
