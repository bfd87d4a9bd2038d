// Layers only point down: shared/ ← client/ and server/ ← the CLIs (warmup/, soak/, bench/). Tests may import
// anything; production code never imports a test. Run by `npm run lint:deps`, which `npm test` calls.
/* global module */
const test = '(^test/|\\.test\\.ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle (type-only imports count): put the shared piece in its own module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-stands-alone',
      severity: 'error',
      comment: 'shared/ is imported by the browser and the server alike, so it imports only shared/.',
      from: { path: '^shared/', pathNot: test },
      to: { pathNot: '^shared/', dependencyTypesNot: ['core', 'npm', 'npm-dev'] },
    },
    {
      name: 'client-not-to-server',
      severity: 'error',
      comment: 'The client talks to the server over the wire only; both lean on shared/.',
      from: { path: '^client/', pathNot: test },
      to: { path: '^(server|warmup|soak|bench)/' },
    },
    {
      name: 'server-not-to-client-or-clis',
      severity: 'error',
      comment: 'The server sits below the client and the CLIs (warmup/, soak/, bench/) that drive it.',
      from: { path: '^server/', pathNot: test },
      to: { path: '^(client|warmup|soak|bench)/' },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment: 'Production code never imports a test or a test helper; a test injects what it needs instead.',
      from: { pathNot: test },
      to: { path: test },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
