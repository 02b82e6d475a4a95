/**
 * The layering of the service, deny by default: an import that no `allowed` rule names fails the cruise
 * (`allowedSeverity: 'error'`). Imports point down:
 *
 *   contract ← engine / store / lib / connectors ← config ← pipeline ← backtest ← http ← main ← cli / demo
 *
 * Type-only imports count (`tsPreCompilationDeps`). docs/architecture.md draws the same picture.
 * Run: npm run lint (test/unit/architecture.test.ts runs this rule set too).
 */
const area = (...names) => `^src/(${names.join('|')})(/|\\.ts$)`;

// Each area of src/ and what it may import (besides itself and npm packages).
const layers = {
  contract: [],
  engine: ['contract'],
  lib: ['contract'],
  store: ['contract', 'lib'],
  config: ['contract', 'lib'],
  pipeline: ['contract', 'engine', 'store', 'lib', 'config', 'connectors'],
  backtest: ['contract', 'engine', 'store', 'lib', 'config', 'connectors', 'pipeline'],
  http: ['contract', 'engine', 'store', 'lib', 'config', 'connectors', 'pipeline', 'backtest'],
  main: ['contract', 'engine', 'store', 'lib', 'config', 'connectors', 'pipeline', 'backtest', 'http'],
  demo: ['contract', 'engine', 'store', 'lib', 'config', 'connectors', 'pipeline', 'backtest', 'http', 'main'],
  cli: ['contract', 'engine', 'store', 'lib', 'config', 'connectors', 'pipeline', 'backtest', 'http', 'main', 'demo'],
};

const npm = ['npm', 'npm-no-pkg', 'npm-unknown', 'core'];

module.exports = {
  allowedSeverity: 'error',
  allowed: [
    // src/: each area its own files, the layers below it, and production npm packages (never devDependencies).
    ...Object.entries(layers).map(([name, below]) => ({
      comment: `src/${name} imports ${below.length ? below.join(', ') : 'nothing else of ours'}`,
      from: { path: area(name) },
      to: { path: area(name, ...below) },
    })),
    { comment: 'production code uses production dependencies', from: { path: '^src/' }, to: { dependencyTypes: npm } },
    // The connector registry sees every connector and the contract.
    { from: { path: '^src/connectors\\.ts$' }, to: { path: '^(connectors/|src/contract/)' } },
    // A connector imports only its own folder and src/contract (docs/adding-a-connector.md).
    { from: { path: '^connectors/([^/]+)/' }, to: { path: '^(connectors/$1/|src/contract/)' } },
    { from: { path: '^connectors/' }, to: { dependencyTypes: npm } },
    // Benchmarks and scripts drive the service from outside: anything under src/ and connectors/, the test helpers.
    { from: { path: '^bench/' }, to: { path: '^(bench|src|connectors|test/helpers|test/fixtures)/' } },
    { from: { path: '^scripts/' }, to: { path: '^(scripts|src|connectors)/' } },
    { from: { path: '^(bench|scripts)/' }, to: { dependencyTypes: [...npm, 'npm-dev'] } },
    // Test helpers reached from bench/ are not layered.
    { from: { path: '^test/' }, to: {} },
  ],
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycle at run time (a cycle through type-only imports is erased by the compiler)',
      severity: 'error',
      from: { path: '^(src|connectors)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'engine-no-node',
      comment: 'src/engine is pure: no Node modules',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'engine-no-io-packages',
      comment: 'src/engine is pure: no I/O packages',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: 'node_modules/(axios|ioredis|bullmq|fastify|pino)/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$|__fixtures__' },
  },
};
