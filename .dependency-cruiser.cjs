/** Dependency rule of STYLE.md ("→ = may import"). Run: npm run lint */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'contract-imports-nothing', severity: 'error', from: { path: '^src/contract' }, to: { path: '^(src|connectors)/', pathNot: '^src/contract' } },
    { name: 'engine-is-pure', severity: 'error', from: { path: '^src/engine' }, to: { path: '^(src|connectors)/', pathNot: '^src/(engine|contract)' } },
    { name: 'engine-no-node', severity: 'error', from: { path: '^src/engine' }, to: { dependencyTypes: ['core'] } },
    { name: 'config-deps', severity: 'error', from: { path: '^src/config' }, to: { path: '^(src|connectors)/', pathNot: '^src/(config|contract|lib)' } },
    { name: 'lib-deps', severity: 'error', from: { path: '^src/lib' }, to: { path: '^(src|connectors)/', pathNot: '^src/(lib|contract)' } },
    { name: 'store-deps', severity: 'error', from: { path: '^src/store' }, to: { path: '^(src|connectors)/', pathNot: '^src/(store|contract|lib|pipeline/types)' } },
    { name: 'pipeline-deps', severity: 'error', from: { path: '^src/pipeline' }, to: { path: '^(src|connectors)/', pathNot: '^src/(pipeline|engine|store|config|contract|lib|connectors\\.ts)' } },
    { name: 'backtest-deps', severity: 'error', from: { path: '^src/backtest' }, to: { path: '^(src|connectors)/', pathNot: '^src/(backtest|pipeline|engine|store|config|contract|lib|connectors\\.ts)' } },
    { name: 'http-deps', severity: 'error', from: { path: '^src/http' }, to: { path: '^(src|connectors)/', pathNot: '^src/(http|backtest|pipeline|store|engine|config|contract|lib|connectors\\.ts)' } },
    { name: 'connectors-isolated', severity: 'error', from: { path: '^connectors/([^/]+)/' }, to: { path: '^(src|connectors)/', pathNot: ['^src/contract', '^connectors/$1/'] } },
  ],
  options: { tsConfig: { fileName: 'tsconfig.json' }, doNotFollow: { path: 'node_modules' }, exclude: { path: '\\.test\\.ts$|__fixtures__' } },
};
