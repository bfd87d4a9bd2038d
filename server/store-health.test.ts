import { describe, expect, it } from 'vitest';
import { StoreHealth } from './store-health.ts';

const CORRUPT =
  'IO Error: Corrupt database file: computed checksum 1 does not match stored checksum 2 in block at location 4468736';

describe('store health', () => {
  it('turns degraded on a storage failure, with its first line as the reason', () => {
    const h = new StoreHealth();
    expect(h.state).toEqual({ ok: true, failures: 0 });
    h.note(new Error(`${CORRUPT}\nmore`));
    expect(h.state).toEqual({ ok: false, reason: CORRUPT, failures: 1 });
    h.note(new Error('FATAL Error: Failed: database has been invalidated because of a previous fatal error'));
    expect(h.state.failures).toBe(2);
    expect(h.state.reason).toMatch(/invalidated/);
  });

  it('ignores what does not say the store is unwell: bad SQL, interrupts, closed sessions, caps', () => {
    const h = new StoreHealth();
    const harmless = [
      'Binder Error: Referenced column "x" not found',
      'INTERRUPT Error: Interrupted!',
      'session closed',
      'Out of Memory Error: could not allocate',
    ];
    for (const message of harmless) h.note(new Error(message));
    h.note(undefined);
    expect(h.state).toEqual({ ok: true, failures: 0 });
  });
});
