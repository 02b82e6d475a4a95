import { describe, expect, it } from 'vitest';

import { compilePhrases, firstMatchingPhrase, ticketTokens, tokenize } from './text.js';

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
