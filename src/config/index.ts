export { BUILTIN_CONFIG_SOURCE, BUILTIN_CONFIG_YAML, builtinPorts, loadBuiltinConfig, loadFromSource, resolveConfigSource } from './builtin.js';
export type { ConfigSource } from './builtin.js';
export { EnvError, envVariables, envWarnings, loadEnv, parseEnv, processEnv } from './env.js';
export type { EnvVariable } from './env.js';
export type { ConnectorRegistry } from './instances.js';
export { loadConfigFile, loadConfigText } from './load.js';
export type { EnvVars, LoadResult, SecretFileReader } from './load.js';
export { formatPath, formatProblem, problemLines, sortProblems } from './problems.js';
export type { AppConfig, ConfigProblem, EnvConfig, LoadedInstance } from './types.js';
