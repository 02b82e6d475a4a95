export { BUILTIN_CONFIG_YAML, loadBuiltinConfig } from './builtin.js';
export type { ConnectorRegistry } from './instances.js';
export { loadConfigFile, loadConfigText } from './load.js';
export type { AppConfig, EnvConfig } from './types.js';
