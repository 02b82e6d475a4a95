/**
 * `category` conditions (docs/spec.md §2): the normalized path (`category[]` joined with `/`) is compared case-insensitively
 * segment by segment; `*` is exactly one segment, `**` any number; a pattern also matches every descendant, so
 * `Network/*` matches `Network/Firewall/Cisco` and `Firewall` matches `Firewall/…` but not `Network/Firewall`.
 */

export const ONE = 1;
export const ANY = 2;

/** One pattern segment: a lower-cased literal, or ONE (`*`) / ANY (`**`). */
export type PatternSegment = string | typeof ONE | typeof ANY;

export interface CategoryPattern {
  readonly text: string;
  readonly segments: readonly PatternSegment[];
}

function normSegment(s: string): string {
  return s.trim().toLowerCase();
}

/** Compiles `Network/*`-style patterns once; empty segments (`a//b`, a leading `/`) are ignored. */
export function compileCategoryPattern(text: string): CategoryPattern {
  const segments: PatternSegment[] = [];
  for (const raw of text.split('/')) {
    const s = normSegment(raw);
    if (s === '') continue;
    segments.push(s === '*' ? ONE : s === '**' ? ANY : s);
  }
  return { text, segments };
}

/** The ticket's path, lower-cased and trimmed (empty segments dropped). */
export function categoryPath(category: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of category) {
    const s = normSegment(raw);
    if (s !== '') out.push(s);
  }
  return out;
}

function matchFrom(pattern: readonly PatternSegment[], pi: number, path: readonly string[], si: number): boolean {
  // The pattern is used up: what is left of the path is a descendant, which matches too.
  if (pi === pattern.length) return true;
  const seg = pattern[pi]!;
  if (seg === ANY) {
    for (let k = si; k <= path.length; k++) if (matchFrom(pattern, pi + 1, path, k)) return true;
    return false;
  }
  if (si === path.length) return false;
  if (seg !== ONE && seg !== path[si]) return false;
  return matchFrom(pattern, pi + 1, path, si + 1);
}

/** True when the pattern matches the (lower-cased) path or one of its ancestors. An empty path never matches. */
export function categoryMatches(pattern: CategoryPattern, path: readonly string[]): boolean {
  if (path.length === 0 || pattern.segments.length === 0) return false;
  return matchFrom(pattern.segments, 0, path, 0);
}
