import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { describeInterpolationIssue, interpolate } from './interpolate.js';
import { formatPath, problem } from './problems.js';
/** Bounds alias expansion ("billion laughs"): a config never needs more. */
const MAX_ALIAS_COUNT = 100;
class PathLines {
    values = new Map();
    keys = new Map();
    scalars = new Set();
    valueLine(path) {
        // A scalar reads best on its own line; a whole mapping/list on the line of its key (`when:`). A path that isn't
        // in the source (a missing key) falls back to its nearest ancestor.
        for (let n = path.length; n >= 0; n--) {
            const key = formatPath(path.slice(0, n));
            if (this.scalars.has(key))
                return this.values.get(key);
            const line = this.keys.get(key) ?? this.values.get(key);
            if (line !== undefined)
                return line;
        }
        return undefined;
    }
    keyLine(path) {
        return this.keys.get(formatPath(path)) ?? this.valueLine(path);
    }
}
const lineAt = (state, offset) => offset === undefined ? undefined : state.counter.linePos(offset).line;
function walk(state, node, path, depth) {
    // Aliases can't loop in a parsed document, but nested ones multiply: stay bounded (toJS reports the bomb).
    if (depth > 64 || state.budget-- <= 0)
        return;
    const target = isAlias(node) ? node.resolve(state.doc) : node;
    const key = formatPath(path);
    const line = lineAt(state, node?.range?.[0]);
    if (line !== undefined && !state.lines.values.has(key))
        state.lines.values.set(key, line);
    if (isScalar(target)) {
        state.lines.scalars.add(key);
        if (typeof target.value === 'string' && !state.interpolated.has(target)) {
            state.interpolated.add(target);
            interpolateScalar(state, target, path, line);
        }
    }
    else if (isMap(target)) {
        for (const pair of target.items) {
            const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
            // `<<: *base` merges the referenced mapping into this one: its keys live at this path.
            const childPath = name === '<<' ? path : [...path, name];
            const keyLine = lineAt(state, pair.key?.range?.[0]);
            if (keyLine !== undefined && name !== '<<')
                state.lines.keys.set(formatPath(childPath), keyLine);
            if (name === '<<' && isSeq(pair.value))
                pair.value.items.forEach((item) => walk(state, item, childPath, depth + 1));
            else
                walk(state, pair.value, childPath, depth + 1);
        }
    }
    else if (isSeq(target)) {
        target.items.forEach((item, i) => walk(state, item, [...path, i], depth + 1));
    }
}
function interpolateScalar(state, scalar, path, line) {
    const result = interpolate(scalar.value, state.lookup);
    scalar.value = result.value;
    for (const issue of result.issues) {
        state.problems.push(problem(path, describeInterpolationIssue(issue), line));
    }
}
/** Parses YAML text, interpolates env references and indexes lines. Never throws on bad input. */
export function readYaml(text, lookup) {
    const counter = new LineCounter();
    const lines = new PathLines();
    const doc = parseDocument(text, { lineCounter: counter, merge: true, prettyErrors: true, uniqueKeys: true });
    const syntax = doc.errors.map((e) => problem('(yaml)', (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''), e.linePos?.[0]?.line));
    if (syntax.length > 0)
        return { value: undefined, lines, problems: syntax };
    const state = {
        doc,
        counter,
        lines,
        lookup,
        problems: [],
        interpolated: new WeakSet(),
        budget: 200_000,
    };
    walk(state, doc.contents, [], 0);
    let value;
    try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    }
    catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { value: undefined, lines, problems: [problem('(yaml)', message, 1)] };
    }
    return { value, lines, problems: state.problems };
}
//# sourceMappingURL=yaml-source.js.map