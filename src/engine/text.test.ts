import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { compilePhrases, firstMatchingPhrase, joinFields, phraseRegex, ticketTokens, tokenize } from './text.js';

const match = (text: string, phrases: string[]): string | null =>
  firstMatchingPhrase(ticketTokens([text]), compilePhrases(phrases))?.text ?? null;

describe('tokenize', () => {
  it('lower-cases and splits into maximal runs of letters and digits', () => {
    expect(tokenize('Site DOWN: VPN-GW01 (2nd time)!')).toEqual(['site', 'down', 'vpn', 'gw01', '2nd', 'time']);
  });

  it('lower-cases Unicode letters and keeps non-Latin scripts', () => {
    expect(tokenize('Störung im Büro – ÜBERHITZUNG')).toEqual(['störung', 'im', 'büro', 'überhitzung']);
    expect(tokenize('Ошибка сервера')).toEqual(['ошибка', 'сервера']);
  });

  it('treats composed and decomposed accents alike', () => {
    expect(tokenize('cafe\u0301')).toEqual(tokenize('café'));
  });
});

describe('phrase matching', () => {
  it.each([
    ['Ransomware on file server', ['ransomware'], 'ransomware'],
    ['RANSOMWARE!!!', ['ransomware'], 'ransomware'],
    ['possible data-leak from HR share', ['data leak'], 'data leak'],
    ['Data   leak suspected', ['data leak'], 'data leak'],
    ['Compromised account for CFO', ['compromised account'], 'compromised account'],
    ['site down at Boston office', ['all users', 'site down'], 'site down'],
  ])('%j matches %j', (text, phrases, expected) => {
    expect(match(text, phrases)).toBe(expected);
  });

  it.each([
    ['Outage report for last month', ['outages']],
    ['Breaching whale photos', ['breach']],
    ['antimalware update failed', ['malware']],
    ['data was leaked', ['data leak']],
    ['leak data', ['data leak']],
    ['the site is down', ['site down']],
  ])('%j does not match %j (whole tokens, contiguous, in order)', (text, phrases) => {
    expect(match(text, phrases)).toBeNull();
  });

  it('never spans two fields', () => {
    const fields = ticketTokens(['Printer on site', 'down the hall']);
    expect(firstMatchingPhrase(fields, compilePhrases(['site down']))).toBeNull();
  });

  it('treats regex metacharacters in phrases as plain text', () => {
    expect(match('error (.*) in app', ['.*'])).toBeNull();
    expect(match('C++ build fails', ['c++'])).toBe('c++');
  });

  it('drops phrases without any token', () => {
    expect(compilePhrases(['---', '  ', 'ok'])).toEqual([{ text: 'ok', tokens: ['ok'] }]);
  });
});

describe('the compiled phrase regex', () => {
  const words = [
    'data',
    'leak',
    'Data',
    'LEAK',
    'site',
    'down',
    'all',
    'users',
    'süd',
    'SÜD',
    'cafe\u0301',
    'café',
    'x1',
    '1x',
  ];
  const seps = [' ', '-', ', ', '\n', '', '!', '_', '\u0000', '  '];
  const field = fc
    .array(fc.tuple(fc.constantFrom(...words), fc.constantFrom(...seps)), { maxLength: 8 })
    .map((xs) => xs.map(([w, s]) => w + s).join(''));
  const phrase = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 3 }).map((ws) => ws.join(' '));

  it('agrees with token matching on every field combination (one pass instead of tokenizing)', () => {
    fc.assert(
      fc.property(
        fc.array(field, { minLength: 1, maxLength: 3 }),
        fc.array(phrase, { minLength: 1, maxLength: 3 }),
        (fields, list) => {
          const phrases = compilePhrases(list);
          // NULs inside a field are treated as spaces by joinFields; do the same on the token side.
          const expected =
            firstMatchingPhrase(ticketTokens(fields.map((f) => f.replaceAll('\u0000', ' '))), phrases) !== null;
          expect(phraseRegex(phrases).test(joinFields(fields))).toBe(expected);
        },
      ),
      // 600 random combinations of 14 words × 9 separators cover every word/separator pair many times over; 3000
      // took 10 s on a loaded CI machine (the unit project must stay well under a minute).
      { numRuns: 600 },
    );
  }, 60_000);

  it('never matches across fields, and an empty list never matches', () => {
    expect(phraseRegex(compilePhrases(['site down'])).test(joinFields(['Printer on site', 'down the hall']))).toBe(
      false,
    );
    expect(phraseRegex([]).test(joinFields(['anything']))).toBe(false);
  });
});
