import { describe, expect, it } from 'vitest';
import { validateParams } from '../shared/kinds.ts';
import { analystScript, tabParams, type Action } from './script.ts';
import { rng } from '../shared/rng.ts';

function take(seed: number, index: number, n: number): Action[] {
  const it = analystScript(seed, index);
  return Array.from({ length: n }, () => it.next().value as Action);
}

describe('analyst script', () => {
  it('gives the same actions for the same seed and index', () => {
    expect(take(42, 7, 500)).toEqual(take(42, 7, 500));
  });

  it('differs between seeds and between analysts of one run', () => {
    expect(take(42, 7, 50)).not.toEqual(take(43, 7, 50));
    expect(take(42, 7, 50)).not.toEqual(take(42, 8, 50));
  });

  it('opens the NEM tab first, then alternates thinking with doing', () => {
    const actions = take(1, 0, 101);
    expect(actions[0]).toMatchObject({ type: 'open', view: { tab: 'tab.nem' } });
    for (let i = 1; i < actions.length; i += 2) expect(actions[i].type).toBe('idle');
  });

  it('covers every behaviour of an analyst over a session', () => {
    const types = new Set(
      Array.from({ length: 20 }, (_, i) => take(5, i, 400))
        .flat()
        .map((a) => a.type),
    );
    expect([...types].sort()).toEqual([
      'changeRange',
      'changeRegion',
      'idle',
      'open',
      'peek',
      'reconnect',
      'search',
      'switchTab',
    ]);
  });

  it('only ever sends parameters the server accepts', () => {
    for (let i = 0; i < 30; i++) {
      for (const a of take(9, i, 300)) {
        if ('view' in a) {
          const v = validateParams(a.view.tab, tabParams(a.view));
          expect(v, JSON.stringify(a)).toMatchObject({ ok: true });
        }
        if (a.type === 'search') {
          expect(validateParams('stations.search', { q: a.q })).toMatchObject({ ok: true });
          expect(validateParams('station.output', { duid: 'ABC1', range: a.range })).toMatchObject({ ok: true });
        }
        if (a.type === 'peek')
          expect(validateParams(a.kind, a.kind === 'generation.mix' ? { region: a.region } : {})).toMatchObject({
            ok: true,
          });
      }
    }
  });

  it('thinks about thinkMs between actions on average, never in a tight loop', () => {
    const idles = Array.from({ length: 50 }, (_, i) => take(11, i, 400))
      .flat()
      .filter((a) => a.type === 'idle')
      .map((a) => (a as { ms: number }).ms);
    const short = idles.filter((ms) => ms <= 2000 * 6); // long idles (reading a chart) are drawn separately
    const mean = short.reduce((s, x) => s + x, 0) / short.length;
    expect(mean).toBeGreaterThan(1500);
    expect(mean).toBeLessThan(2600);
    expect(Math.min(...idles)).toBeGreaterThanOrEqual(200);
  });

  it('rng is deterministic and uniform enough', () => {
    const a = rng(123);
    const b = rng(123);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
