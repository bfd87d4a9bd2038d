// Config parsing edges a start-up should refuse in one line rather than fail later in the store.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('DEMO_END', () => {
  it('refuses an end the store cannot hold (its times are 32-bit seconds) or before the NEM data era', () => {
    const bad = (v: string) => () => loadConfig([], { DEMO_END: v });
    for (const v of ['4102444800', '2147483400', '2040-01-01T00:00Z', '0', '1970-01-01T00:00Z'])
      expect(bad(v), v).toThrow(/^DEMO_END=".*" must be from 2000-01-01 to 2037-12-31/);
    expect(loadConfig([], { DEMO_END: '2037-12-31T00:00Z' }).demoEnd).toBe(Date.UTC(2037, 11, 31) / 1000);
    expect(loadConfig([], { DEMO_END: '946684800' }).demoEnd).toBe(946684800);
  });
});
