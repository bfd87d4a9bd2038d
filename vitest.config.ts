import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{server,client,shared,warmup,soak,bench,test}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Native addons (DuckDB, LMDB, uWS) are safest in forked processes; 2 cores here.
    pool: 'forks',
    maxWorkers: 2,
  },
});
