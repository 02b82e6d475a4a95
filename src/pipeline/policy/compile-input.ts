import type { AnyConnector } from '../../contract/index.js';
import type { AppConfig, LoadedInstance } from '../../config/types.js';
import type { CompileInput } from '../../engine/types.js';

/**
 * The glue from the validated config to the engine: everything `compilePolicy` needs for one instance.
 * It lives here (not in src/config) because src/config may not import the engine (STYLE dependency rules).
 * The config loader has already checked every cross-reference, so a missing policy is a programming error.
 */
export function buildCompileInput(config: AppConfig, instance: LoadedInstance, connector: AnyConnector): CompileInput {
  const { info } = instance;
  const policy = config.policies[info.policy];
  if (!policy) throw new Error(`instance ${info.id}: policy "${info.policy}" is not defined (config not validated?)`);
  return {
    policyName: info.policy,
    policy,
    tiers: config.tiers,
    calendars: config.calendars,
    groups: config.groups,
    notifiers: Object.keys(config.notifiers),
    templates: config.templates,
    instance: {
      id: info.id,
      tiers: config.tiers,
      tierLocations: info.mapping.tiers,
      groupLocations: info.mapping.groups,
      members: info.mapping.members,
      membersRequireMapping: connector.membersRequireMapping,
      locationKeys: connector.locationKeys,
      priorities: info.mapping.priorities,
    },
  };
}
