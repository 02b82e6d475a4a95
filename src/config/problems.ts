import type { z } from 'zod';

import { unknownKeyMessage } from './suggest.js';
import type { ConfigProblem } from './types.js';

/** One step of a YAML path: a mapping key or a zero-based sequence index. */
export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** Where a path sits in the source (1-based lines); implemented over the YAML AST by `yaml-source.ts`. */
export interface LineIndex {
  /** Line of the value at `path`, or of its nearest ancestor that exists in the source. */
  valueLine(path: Path): number | undefined;
  /** Line of the key at `path` (where an unknown key is written), falling back to `valueLine`. */
  keyLine(path: Path): number | undefined;
}

const plainKey = /^[A-Za-z0-9_-]+$/;

/** `policies.standard.rules[4].when.timeInTier`; keys that are not plain words are quoted (`members["net.alice"]`). */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (plainKey.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** The exact line format of docs/spec.md §6: `<yaml path>: <problem> (line N)`. */
export function formatProblem(problem: ConfigProblem): string {
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return `${problem.path}: ${problem.message}${line}`;
}

/** The lines `check-config` and `serve` print: problems as docs/spec.md §6 formats them, warnings prefixed `warning: `. */
export function problemLines(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => (p.severity === 'warning' ? `warning: ${formatProblem(p)}` : formatProblem(p)));
}

/** Errors first in source order, then warnings; ties by path so output is stable. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const rank = (p: ConfigProblem) => (p.severity === 'error' ? 0 : 1);
  return [...problems].sort(
    (a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0) || a.path.localeCompare(b.path),
  );
}

// Security: a value that failed validation may be a credential (a password with a stray newline); never echo those.
const secretKey = /(password|secret|privatekey|publickey|token|integrationcode|clientid|username)$/i;

function isSecretPath(path: Path): boolean {
  const last = [...path].reverse().find((s): s is string => typeof s === 'string');
  return last !== undefined && secretKey.test(last);
}

/** "(known: a, b)" for messages about an unknown name. */
export function knownNames(names: Iterable<string>): string {
  const list = [...new Set(names)];
  return list.length === 0 ? '(none are defined)' : `(known: ${list.join(', ')})`;
}

/** A short human rendering of a bad value for "got …". */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

const typeNames: Record<string, string> = {
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};
const typeName = (t: string): string => typeNames[t] ?? t;

type Issue = z.core.$ZodIssue;

function got(issue: { input?: unknown }, path: Path): string {
  if (issue.input === undefined) return '';
  return isSecretPath(path) ? ' (value hidden)' : `, got ${describeValue(issue.input)}`;
}

function formatMessage(issue: Issue, path: Path): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `expected ${typeName(issue.expected)}${got(issue, path)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${describeValue(issue.values[0])}${got(issue, path)}`
        : `expected one of ${issue.values.map((v) => String(v)).join(', ')}${got(issue, path)}`;
    case 'too_small':
      return tooSmall(issue, path);
    case 'too_big':
      return `expected at most ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : ''}${got(issue, path)}`;
    case 'invalid_format':
      return invalidFormat(issue, path);
    default:
      // Refinements run on parsed values (durations already in ms, whole objects): only echo what the user typed.
      return issue.message.includes('got') || typeof issue.input !== 'string'
        ? issue.message
        : `${issue.message}${got(issue, path)}`;
  }
}

function tooSmall(issue: Extract<Issue, { code: 'too_small' }>, path: Path): string {
  const min = Number(issue.minimum);
  if ((issue.origin === 'array' || issue.origin === 'string') && min === 1) return 'must not be empty';
  if (issue.origin === 'array') return `expected at least ${min} items`;
  if (issue.origin === 'string') return `expected at least ${min} characters${got(issue, path)}`;
  return `expected a number ${issue.inclusive ? '>=' : '>'} ${min}${got(issue, path)}`;
}

function invalidFormat(issue: Extract<Issue, { code: 'invalid_format' }>, path: Path): string {
  if (!issue.message.startsWith('Invalid')) return `${issue.message}${got(issue, path)}`;
  const hint: Record<string, string> = {
    date: 'a date like "2026-12-25"',
    datetime: 'an instant with offset like "2026-01-05T09:00:00-05:00"',
    url: 'an http(s) URL',
  };
  return `expected ${hint[issue.format] ?? issue.format}${got(issue, path)}`;
}

/** Is this union branch only "wrong type at the root"? Then it says nothing beyond the type it wanted. */
const isRootTypeMismatch = (issues: readonly Issue[]) =>
  issues.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_union'));

function unionProblems(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: Path,
): Array<[Path, string, 'key' | 'value']> {
  const deeper = issue.errors.filter((branch) => branch.length > 0 && !isRootTypeMismatch(branch));
  if (deeper.length > 0) {
    // The branch that got furthest explains the problem best (e.g. a location whose value has the wrong type).
    const best = deeper.reduce((a, b) => (b.length < a.length ? b : a));
    return best.flatMap((sub) => issueProblems(sub, path));
  }
  const expected = issue.errors.flat().flatMap((i) => (i.code === 'invalid_type' ? [typeName(i.expected)] : []));
  if (expected.length === 0) return [[path, issue.message, 'value']];
  return [[path, `expected ${[...new Set(expected)].join(' or ')}${got(issue, path)}`, 'value']];
}

function issueProblems(issue: Issue, base: Path): Array<[Path, string, 'key' | 'value']> {
  const path = [...base, ...(issue.path as PathSegment[])];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => [[...path, k], unknownKeyMessage(k), 'key']);
    case 'invalid_union':
      return unionProblems(issue, path);
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'invalid key';
      return [[path, `invalid key ${describeValue(path[path.length - 1])}: ${inner}`, 'key']];
    }
    default:
      return [[path, formatMessage(issue, path), 'value']];
  }
}

/** Turns zod issues into problems with full YAML paths (prefixed by `base`) and source lines. */
export function zodProblems(issues: readonly Issue[], base: Path, lines: LineIndex): ConfigProblem[] {
  return issues.flatMap((issue) =>
    issueProblems(issue, base).map(([path, message, at]) =>
      problem(path, message, at === 'key' ? lines.keyLine(path) : lines.valueLine(path)),
    ),
  );
}

/** An error problem; `warning()` for the non-fatal kind. */
export function problem(path: Path | string, message: string, line: number | undefined): ConfigProblem {
  const p = typeof path === 'string' ? path : formatPath(path);
  return line === undefined ? { path: p, message, severity: 'error' } : { path: p, message, line, severity: 'error' };
}

export function warning(path: Path | string, message: string, line: number | undefined): ConfigProblem {
  return { ...problem(path, message, line), severity: 'warning' };
}
