import { formatPath, problem, warning, zodProblems } from './problems.js';
/**
 * Gathers every problem of one load (SPEC §6: all problems in one run) and knows where each path sits in the
 * source. Problems at a path that already has an env problem are dropped: "environment variable X is not set"
 * says everything, "must not be empty" after it would only repeat it.
 */
export class ProblemCollector {
    lines;
    problems = [];
    envProblemPaths;
    /** `envProblems`: the `${…}` problems found while reading the YAML. */
    constructor(lines, envProblems = []) {
        this.lines = lines;
        this.problems.push(...envProblems);
        this.envProblemPaths = new Set(envProblems.map((p) => p.path));
    }
    /** Parses `value` (found at `path`); on failure records the issues with full paths and returns undefined. */
    parse(schema, value, path) {
        const result = schema.safeParse(value, { reportInput: true });
        if (result.success)
            return result.data;
        this.add(zodProblems(result.error.issues, path, this.lines));
        return undefined;
    }
    /** An error about the value at `path` (`at: 'key'` points at the key, e.g. an unknown name used as a key). */
    error(path, message, at = 'value') {
        this.add([problem(path, message, this.line(path, at))]);
    }
    warn(path, message, at = 'value') {
        this.add([warning(path, message, this.line(path, at))]);
    }
    add(problems) {
        for (const p of problems)
            if (!this.coveredByEnvProblem(p.path))
                this.problems.push(p);
    }
    get errorCount() {
        return this.problems.filter((p) => p.severity === 'error').length;
    }
    line(path, at) {
        return at === 'key' ? this.lines.keyLine(path) : this.lines.valueLine(path);
    }
    coveredByEnvProblem(path) {
        if (this.envProblemPaths.size === 0)
            return false;
        for (const env of this.envProblemPaths) {
            if (path === env || path.startsWith(`${env}.`) || path.startsWith(`${env}[`))
                return true;
        }
        return false;
    }
}
/** `formatPath` re-exported for callers that build paths by hand. */
export { formatPath };
//# sourceMappingURL=collector.js.map