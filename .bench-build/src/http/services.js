export function createServices(deps, evaluate, json) {
    // A Map, not an object: instance ids come from the URL and must never hit Object.prototype (`__proto__`, `constructor`).
    const byId = new Map();
    for (const loaded of deps.config.instances) {
        const id = loaded.info.id;
        byId.set(id, { loaded, connector: deps.connectors[loaded.info.kind], context: () => deps.contextFor(id) });
    }
    const clock = deps.clock ?? { now: () => new Date() };
    return { deps, instance: (id) => byId.get(id), now: () => clock.now(), evaluate, json };
}
//# sourceMappingURL=services.js.map