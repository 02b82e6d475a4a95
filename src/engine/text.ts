/**
 * `text` conditions (docs/spec.md §2 "Rule language"): title, description and `latestNote` are Unicode-lower-cased and
 * split into tokens (maximal runs of letters and digits); a phrase matches when its tokens occur contiguously.
 * Plain strings only: no user-supplied regex ever runs. The one regex below is compiled once at module load.
 */

// Letters and digits of any script; `u` makes `\p{…}` work on code points, `g` lets matchAll walk the string.
const TOKEN_RE = /[\p{L}\p{N}]+/gu;

/** A compiled phrase: its tokens, and the original text for reasons. */
export interface Phrase {
  readonly text: string;
  readonly tokens: readonly string[];
}

/** Fields are joined with NUL, which no phrase pattern crosses (NULs inside a field become spaces). */
export const FIELD_SEPARATOR = '\u0000';

/**
 * One regex for a list of phrases, built by us from their tokens (runs of letters and digits, so nothing to escape):
 * token boundaries on both ends, tokens separated by one or more non-token characters other than the field
 * separator. Equivalent to "the phrase's tokens occur contiguously in one field's tokens", evaluated natively in a
 * single pass over the normalized text instead of tokenizing every field on every evaluation.
 */
export function phraseRegex(phrases: readonly Phrase[]): RegExp {
  const alternatives = phrases.map((p) => p.tokens.join('[^\\p{L}\\p{N}\\u0000]+'));
  const body = alternatives.length > 0 ? alternatives.join('|') : '(?!)';
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${body})(?![\\p{L}\\p{N}])`, 'u');
}

/** The ticket's title, description and latest note as one normalized string (see FIELD_SEPARATOR). */
export function joinFields(fields: readonly (string | undefined)[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] ?? '';
    if (i > 0) out += FIELD_SEPARATOR;
    out += f.includes(FIELD_SEPARATOR) ? f.replaceAll(FIELD_SEPARATOR, ' ') : f;
  }
  return normalizeText(out);
}

function tokenizeUnicode(text: string): string[] {
  const out: string[] = [];
  for (const m of text.normalize('NFC').toLowerCase().matchAll(TOKEN_RE)) out.push(m[0]);
  return out;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** NFC, then Unicode lower case: the form phrases and ticket text are compared in (ASCII needs no NFC pass). */
export function normalizeText(text: string): string {
  return NON_ASCII.test(text) ? text.normalize('NFC').toLowerCase() : text.toLowerCase();
}

/**
 * Splits text into lower-cased tokens (NFC first, so composed and decomposed accents tokenize alike). Plain ASCII —
 * most ticket text — takes a char-code scan; anything else goes through the Unicode-aware regex.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const lower = text.toLowerCase();
  let start = -1;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (c >= 128) return tokenizeUnicode(text);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push(lower.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) out.push(lower.slice(start));
  return out;
}

/** Tokenizes the three text fields of a ticket into one token list (fields are separated so phrases never span them). */
export function ticketTokens(fields: readonly (string | undefined)[]): string[][] {
  const out: string[][] = [];
  for (const field of fields) if (field) out.push(tokenize(field));
  return out;
}

/** Compiles a phrase list; phrases without any token (only punctuation) can never match and are dropped. */
export function compilePhrases(list: readonly string[]): Phrase[] {
  const out: Phrase[] = [];
  for (const text of list) {
    const tokens = tokenize(text);
    if (tokens.length > 0) out.push({ text, tokens });
  }
  return out;
}

export function occursIn(tokens: readonly string[], phrase: readonly string[]): boolean {
  const first = phrase[0]!;
  const last = tokens.length - phrase.length;
  for (let i = 0; i <= last; i++) {
    if (tokens[i] !== first) continue;
    let j = 1;
    while (j < phrase.length && tokens[i + j] === phrase[j]) j++;
    if (j === phrase.length) return true;
  }
  return false;
}

/** The first phrase (in list order) occurring contiguously in any field, or null. */
export function firstMatchingPhrase(fields: readonly (readonly string[])[], phrases: readonly Phrase[]): Phrase | null {
  for (const phrase of phrases) {
    for (const tokens of fields) if (occursIn(tokens, phrase.tokens)) return phrase;
  }
  return null;
}
