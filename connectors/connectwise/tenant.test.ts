import { describe, expect, it } from 'vitest';

import { tenantMismatch } from './webhook.js';

const KEY = 'https://na.myconnectwise.net/v2025_1//system/callbackkey/index.rails';
const check = (query: string, body: Record<string, unknown> = { companyid: 'acme' }) =>
  tenantMismatch('acme', body, `${KEY}${query}`);

describe('tenantMismatch (ConnectWise tenant binding)', () => {
  it('accepts our company once, in any case, with or without a body CompanyId', () => {
    expect(check('?companyName=acme&id=1')).toBeUndefined();
    expect(check('?id=1&companyName=ACME', { companyid: 'Acme' })).toBeUndefined();
    expect(check('?companyName=acme', {})).toBeUndefined();
    expect(check('?companyName=acme', { companyid: null })).toBeUndefined();
    expect(tenantMismatch(' Acme ', { companyid: 'acme' }, `${KEY}?companyName=acme`)).toBeUndefined();
  });

  it.each([
    ['a repeated companyName', '?companyName=acme&companyName=evil', 'key_url repeats companyName'],
    ['the same name twice', '?companyName=acme&companyName=acme', 'key_url repeats companyName'],
    ['a repeat in another case', '?companyName=acme&CompanyName=evil', 'key_url repeats companyName'],
    ['a percent-encoded repeat', '?companyName=acme&company%4Eame=evil', 'key_url repeats companyName'],
    ['no companyName', '?id=1', 'key_url names no companyName'],
    ['no query at all', '', 'key_url names no companyName'],
    ['an empty companyName', '?companyName=', 'key_url names another company'],
    ['padding', '?companyName=acme%20', 'key_url names another company'],
    ['another company', '?companyName=evil', 'key_url names another company'],
  ])('refuses %s', (_name, query, reason) => {
    expect(check(query)).toBe(reason);
  });

  it.each([['evil'], [42], [['acme']], [{ id: 'acme' }], [true], ['']])('refuses a body CompanyId of %j', (company) => {
    expect(check('?companyName=acme', { companyid: company })).toBe('body CompanyId names another company');
  });
});
