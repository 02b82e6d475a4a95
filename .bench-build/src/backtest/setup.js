import { connectors } from '../connectors.js';
import { buildCompileInput } from '../pipeline/policies.js';
function candidateInput(base, instance, candidate) {
    const connector = connectors[instance.info.kind];
    if (!candidate)
        return { ok: true, value: { name: instance.info.policy, input: buildCompileInput(base, instance, connector) } };
    const { config, label } = candidate;
    const same = config.instances.find((i) => i.info.id === instance.info.id);
    if (same)
        return { ok: true, value: { name: `${label}:${same.info.policy}`, input: buildCompileInput(config, same, connectors[same.info.kind]) } };
    const names = Object.keys(config.policies);
    const name = Object.hasOwn(config.policies, instance.info.policy) ? instance.info.policy : names.length === 1 ? names[0] : undefined;
    if (name === undefined)
        return { ok: false, error: `${label}: no instance "${instance.info.id}" and no single policy to use (policies: ${names.join(', ')})` };
    const merged = { ...base, policies: { ...base.policies, [instance.info.policy]: config.policies[name] }, calendars: config.calendars, groups: config.groups, templates: config.templates, tiers: config.tiers };
    return { ok: true, value: { name: `${label}:${name}`, input: buildCompileInput(merged, instance, connector) } };
}
export function backtestSpec(args) {
    const instance = args.config.instances.find((i) => i.info.id === args.instanceId);
    if (!instance)
        return { ok: false, error: `unknown instance "${args.instanceId}" (known: ${args.config.instances.map((i) => i.info.id).join(', ')})` };
    const policy = candidateInput(args.config, instance, args.policy);
    if (!policy.ok)
        return policy;
    const spec = { instanceId: args.instanceId, policy: policy.value, keepDecisions: args.keepDecisions };
    if (args.compare) {
        const other = candidateInput(args.config, instance, args.compare);
        if (!other.ok)
            return other;
        spec.compare = other.value;
    }
    return { ok: true, value: spec };
}
//# sourceMappingURL=setup.js.map