export { BUILTIN_CONFIG_SOURCE, BUILTIN_CONFIG_YAML, builtinPorts, loadBuiltinConfig, loadFromSource, resolveConfigSource } from './builtin.js';
export { EnvError, envVariables, envWarnings, loadEnv, parseEnv, processEnv } from './env.js';
export { loadConfigFile, loadConfigText } from './load.js';
export { formatPath, formatProblem, problemLines, sortProblems } from './problems.js';
//# sourceMappingURL=index.js.map