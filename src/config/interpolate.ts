/**
 * `${NAME}` / `${NAME:-default}` interpolation of ONE string value (docs/spec.md §7). The loader calls it on each string
 * scalar of the already-parsed YAML, so a variable's value can never inject YAML structure (no textual
 * substitution before parsing). `$${` writes a literal `${`.
 */

/** Looks a variable up; `undefined` = not set. */
export type EnvLookup = (name: string) => string | undefined;

export type InterpolationIssue =
  { kind: 'missing'; name: string } | { kind: 'empty'; name: string } | { kind: 'invalid'; reference: string };

export interface InterpolationResult {
  value: string;
  /** Whether the string contained any reference (used to hide secret values from later messages). */
  interpolated: boolean;
  issues: InterpolationIssue[];
}

const reference = /\$(\$?)\{([^}]*)\}|\$\{/g;
const inner = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

export function interpolate(text: string, lookup: EnvLookup): InterpolationResult {
  if (!text.includes('${')) return { value: text, interpolated: false, issues: [] };
  const issues: InterpolationIssue[] = [];
  let interpolated = false;
  const value = text.replace(reference, (match, escape: string | undefined, body: string | undefined, at: number) => {
    if (body === undefined) {
      issues.push({ kind: 'invalid', reference: text.slice(at) });
      return match;
    }
    if (escape) return `\${${body}}`;
    interpolated = true;
    const m = inner.exec(body);
    if (!m) {
      issues.push({ kind: 'invalid', reference: match });
      return '';
    }
    const name = m[1]!;
    const fallback = m[2];
    const found = lookup(name);
    // Shell semantics: `:-` applies when the variable is unset OR empty.
    if (fallback !== undefined) return found === undefined || found === '' ? fallback : found;
    if (found === undefined) issues.push({ kind: 'missing', name });
    else if (found === '') issues.push({ kind: 'empty', name });
    return found ?? '';
  });
  return { value, interpolated, issues };
}

/** Message text for one issue, in the format docs/spec.md §6 asks for. */
export function describeInterpolationIssue(issue: InterpolationIssue): string {
  switch (issue.kind) {
    case 'missing':
      return `environment variable ${issue.name} is not set`;
    case 'empty':
      return `environment variable ${issue.name} is empty`;
    case 'invalid':
      return `invalid variable reference ${JSON.stringify(issue.reference)} (expected \${NAME} or \${NAME:-default})`;
  }
}
