import type { z } from 'zod';

import { problem, warning, zodProblems } from './problems.js';
import type { LineIndex, Path } from './problems.js';
import type { ConfigProblem } from './types.js';

/**
 * Gathers every problem of one load (docs/spec.md §6: all problems in one run) and knows where each path sits in the
 * source. Problems at a path that already has an env problem are dropped: "environment variable X is not set"
 * says everything, "must not be empty" after it would only repeat it.
 */
export class ProblemCollector {
  readonly problems: ConfigProblem[] = [];
  private readonly envProblemPaths: ReadonlySet<string>;

  /** `envProblems`: the `${…}` problems found while reading the YAML. */
  constructor(
    readonly lines: LineIndex,
    envProblems: readonly ConfigProblem[] = [],
  ) {
    this.problems.push(...envProblems);
    this.envProblemPaths = new Set(envProblems.map((p) => p.path));
  }

  /** Parses `value` (found at `path`); on failure records the issues with full paths and returns undefined. */
  parse<S extends z.ZodType>(schema: S, value: unknown, path: Path): z.output<S> | undefined {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    this.add(zodProblems(result.error.issues, path, this.lines));
    return undefined;
  }

  /** An error about the value at `path` (`at: 'key'` points at the key, e.g. an unknown name used as a key). */
  error(path: Path, message: string, at: 'value' | 'key' = 'value'): void {
    this.add([problem(path, message, this.line(path, at))]);
  }

  warn(path: Path, message: string, at: 'value' | 'key' = 'value'): void {
    this.add([warning(path, message, this.line(path, at))]);
  }

  add(problems: readonly ConfigProblem[]): void {
    for (const p of problems) if (!this.coveredByEnvProblem(p.path)) this.problems.push(p);
  }

  get errorCount(): number {
    return this.problems.filter((p) => p.severity === 'error').length;
  }

  private line(path: Path, at: 'value' | 'key'): number | undefined {
    return at === 'key' ? this.lines.keyLine(path) : this.lines.valueLine(path);
  }

  private coveredByEnvProblem(path: string): boolean {
    if (this.envProblemPaths.size === 0) return false;
    for (const env of this.envProblemPaths) {
      if (path === env || path.startsWith(`${env}.`) || path.startsWith(`${env}[`)) return true;
    }
    return false;
  }
}
