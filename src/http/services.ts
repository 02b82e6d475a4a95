import type { AnyConnector, ConnectorContext } from '../contract/index.js';
import type { LoadedInstance } from '../config/types.js';

import type { AppDeps, DryRunEvaluator } from './deps.js';
import type { JsonLimits } from './json-body.js';

/** One configured instance and its connector. */
export interface KnownInstance {
  loaded: LoadedInstance;
  connector: AnyConnector;
  context(): ConnectorContext;
}

/** What route plugins receive: the deps plus lookups computed once per app. */
export interface AppServices {
  deps: AppDeps;
  /** undefined for ids not in the config (→ the generic 404). */
  instance(id: string): KnownInstance | undefined;
  now(): Date;
  evaluate: DryRunEvaluator;
  json: JsonLimits;
}

export function createServices(deps: AppDeps, evaluate: DryRunEvaluator, json: JsonLimits): AppServices {
  // A Map, not an object: instance ids come from the URL and must never hit Object.prototype (`__proto__`, `constructor`).
  const byId = new Map<string, KnownInstance>();
  for (const loaded of deps.config.instances) {
    const id = loaded.info.id;
    byId.set(id, { loaded, connector: deps.connectors[loaded.info.kind], context: () => deps.contextFor(id) });
  }
  const clock = deps.clock ?? { now: () => new Date() };
  return { deps, instance: (id) => byId.get(id), now: () => clock.now(), evaluate, json };
}
