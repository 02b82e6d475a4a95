import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';

import { describeInterpolationIssue, interpolate } from './interpolate.js';
import type { EnvLookup } from './interpolate.js';
import { formatPath, problem } from './problems.js';
import type { LineIndex, Path, PathSegment } from './problems.js';
import type { ConfigProblem } from './types.js';

/**
 * Step 1 and 2 of loading (docs/spec.md §7): parse the YAML (with a LineCounter so every problem gets a line), then
 * interpolate `${NAME}` in string scalars of the parsed tree — never in the text before parsing, so a variable's
 * value can't add keys. The walk also records where every path sits for later (zod, cross-reference) problems.
 */
export interface YamlSource {
  /** The document as plain JS after interpolation (undefined for an empty file). */
  value: unknown;
  lines: LineIndex;
  /** YAML syntax problems and `${…}` problems. */
  problems: ConfigProblem[];
}

/** Bounds alias expansion ("billion laughs"): a config never needs more. */
const MAX_ALIAS_COUNT = 100;

class PathLines implements LineIndex {
  readonly values = new Map<string, number>();
  readonly keys = new Map<string, number>();
  readonly scalars = new Set<string>();

  valueLine(path: Path): number | undefined {
    // A scalar reads best on its own line; a whole mapping/list on the line of its key (`when:`). A path that isn't
    // in the source (a missing key) falls back to its nearest ancestor.
    for (let n = path.length; n >= 0; n--) {
      const key = formatPath(path.slice(0, n));
      if (this.scalars.has(key)) return this.values.get(key);
      const line = this.keys.get(key) ?? this.values.get(key);
      if (line !== undefined) return line;
    }
    return undefined;
  }
  keyLine(path: Path): number | undefined {
    return this.keys.get(formatPath(path)) ?? this.valueLine(path);
  }
}

interface WalkState {
  doc: Document;
  counter: LineCounter;
  lines: PathLines;
  lookup: EnvLookup;
  problems: ConfigProblem[];
  interpolated: WeakSet<object>;
  /** Nodes left to visit: aliases are walked at every use for line indexing, so an alias bomb must stop early. */
  budget: number;
}

const lineAt = (state: WalkState, offset: number | undefined) =>
  offset === undefined ? undefined : state.counter.linePos(offset).line;

function walk(state: WalkState, node: unknown, path: PathSegment[], depth: number): void {
  // Aliases can't loop in a parsed document, but nested ones multiply: stay bounded (toJS reports the bomb).
  if (depth > 64 || state.budget-- <= 0) return;
  const target: unknown = isAlias(node) ? node.resolve(state.doc) : node;
  const key = formatPath(path);
  const line = lineAt(state, (node as Node | null)?.range?.[0]);
  if (line !== undefined && !state.lines.values.has(key)) state.lines.values.set(key, line);
  if (isScalar(target)) {
    state.lines.scalars.add(key);
    if (typeof target.value === 'string' && !state.interpolated.has(target)) {
      state.interpolated.add(target);
      interpolateScalar(state, target, path, line);
    }
  } else if (isMap(target)) {
    for (const pair of target.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      // `<<: *base` merges the referenced mapping into this one: its keys live at this path.
      const childPath = name === '<<' ? path : [...path, name];
      const keyLine = lineAt(state, (pair.key as Node | null)?.range?.[0]);
      if (keyLine !== undefined && name !== '<<') state.lines.keys.set(formatPath(childPath), keyLine);
      if (name === '<<' && isSeq(pair.value))
        pair.value.items.forEach((item) => walk(state, item, childPath, depth + 1));
      else walk(state, pair.value, childPath, depth + 1);
    }
  } else if (isSeq(target)) {
    target.items.forEach((item, i) => walk(state, item, [...path, i], depth + 1));
  }
}

function interpolateScalar(state: WalkState, scalar: { value: unknown }, path: Path, line: number | undefined): void {
  const result = interpolate(scalar.value as string, state.lookup);
  scalar.value = result.value;
  for (const issue of result.issues) {
    state.problems.push(problem(path, describeInterpolationIssue(issue), line));
  }
}

/** Parses YAML text, interpolates env references and indexes lines. Never throws on bad input. */
export function readYaml(text: string, lookup: EnvLookup): YamlSource {
  const counter = new LineCounter();
  const lines = new PathLines();
  const doc = parseDocument(text, { lineCounter: counter, merge: true, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors.map((e) =>
    problem(
      '(yaml)',
      (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
      e.linePos?.[0]?.line,
    ),
  );
  if (syntax.length > 0) return { value: undefined, lines, problems: syntax };
  const state: WalkState = {
    doc,
    counter,
    lines,
    lookup,
    problems: [],
    interpolated: new WeakSet(),
    budget: 200_000,
  };
  walk(state, doc.contents, [], 0);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { value: undefined, lines, problems: [problem('(yaml)', message, 1)] };
  }
  return { value, lines, problems: state.problems };
}
