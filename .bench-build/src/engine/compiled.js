export const clockNames = ['firstResponse', 'resolution'];
/** Narrows a `CompiledPolicy` to one built by `compilePolicy` (objects assembled by hand lack the compiled rules). */
export function isEnginePolicy(policy) {
    return typeof policy.engine === 'object';
}
//# sourceMappingURL=compiled.js.map