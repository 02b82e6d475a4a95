/**
 * `text` conditions (SPEC §2 "Rule language"): title, description and `latestNote` are Unicode-lower-cased and
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

/** Splits text into lower-cased tokens (NFC first, so composed and decomposed accents tokenize alike). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  if (text.length === 0) return out;
  const lower = text.normalize('NFC').toLowerCase();
  for (const m of lower.matchAll(TOKEN_RE)) out.push(m[0]);
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

function occursIn(tokens: readonly string[], phrase: readonly string[]): boolean {
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
