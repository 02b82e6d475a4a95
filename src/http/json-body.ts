import sjson from 'secure-json-parse';

/** Limits applied to webhook JSON after the size limit (docs/reliability.md §4 #9–#10). */
export interface JsonLimits {
  /** Deepest allowed nesting of arrays/objects. @defaultValue 64 */
  maxDepth: number;
  /** Most entries allowed in one array or object. @defaultValue 10_000 */
  maxEntries: number;
}

export const defaultJsonLimits: JsonLimits = { maxDepth: 64, maxEntries: 10_000 };

export type JsonReading =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'empty' | 'not_json' | 'too_deep' | 'too_wide' | 'forbidden_key'; message: string };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Nesting depth of the JSON text in `bytes`, stopping as soon as it passes `limit`. A linear byte scan (strings
 * skipped) so a 10k-deep `[[[…]]]` is refused before the parser builds anything: secure-json-parse has no depth option.
 */
export function nestingExceeds(bytes: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** True when some array or object has more than `max` entries (iterative: no recursion on attacker input). */
function tooWide(root: unknown, max: number): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    const children = Array.isArray(node) ? node : Object.values(node);
    if (children.length > max) return true;
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push(c);
  }
  return false;
}

/**
 * Parses a webhook body: prototype-poisoning keys (`__proto__`, `constructor.prototype`) are refused, not stripped
 * (security: a stripped body would no longer be what was signed), and depth/width are bounded.
 */
export function readJsonBody(bytes: Buffer, limits: JsonLimits = defaultJsonLimits): JsonReading {
  if (bytes.length === 0) return { ok: false, reason: 'empty', message: 'Request body is empty' };
  if (nestingExceeds(bytes, limits.maxDepth)) {
    return { ok: false, reason: 'too_deep', message: `JSON nesting exceeds ${limits.maxDepth} levels` };
  }
  let value: unknown;
  try {
    value = sjson.parse(bytes.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (e) {
    const forbidden = e instanceof SyntaxError && /forbidden prototype property/i.test(e.message);
    return forbidden
      ? { ok: false, reason: 'forbidden_key', message: 'JSON contains a forbidden prototype property' }
      : { ok: false, reason: 'not_json', message: 'Request body is not valid JSON' };
  }
  // An array or object with more than `maxEntries` entries takes at least 2 bytes per entry (a value and a comma):
  // a shorter body cannot hold one, and most webhooks are a few hundred bytes (no walk over the parsed tree).
  if (bytes.length > 2 * limits.maxEntries && tooWide(value, limits.maxEntries)) {
    return {
      ok: false,
      reason: 'too_wide',
      message: `a JSON array or object has more than ${limits.maxEntries} entries`,
    };
  }
  return { ok: true, value };
}
