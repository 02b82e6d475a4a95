import { describe, expect, it } from 'vitest';

import { SESSION_TTL_MS, SessionSigner, cookieHeader, parseCookies } from './session.js';

describe('console sessions (signed cookies)', () => {
  const signer = new SessionSigner('admin-token-1');
  const now = Date.parse('2026-11-24T14:00:00Z');

  it('a cookie it issued verifies until it expires', () => {
    const s = signer.issue(now);
    expect(signer.verify(s.cookie, now + 1_000)).toBe(s.sid);
    expect(signer.verify(s.cookie, now + SESSION_TTL_MS)).toBeUndefined();
  });

  it('a tampered cookie, another token’s cookie or garbage is refused', () => {
    const s = signer.issue(now);
    const [body, mac] = s.cookie.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ sid: 'x', exp: now + 10 * SESSION_TTL_MS })).toString('base64url');
    expect(signer.verify(`${forged}.${mac}`, now)).toBeUndefined();
    expect(signer.verify(`${body}.${mac.slice(1)}A`, now)).toBeUndefined();
    expect(new SessionSigner('admin-token-2').verify(s.cookie, now)).toBeUndefined();
    for (const junk of [undefined, '', '.', 'abc', `${body}.`]) expect(signer.verify(junk, now)).toBeUndefined();
  });

  it('CSRF tokens are bound to the session id', () => {
    const a = signer.issue(now);
    const b = signer.issue(now);
    expect(signer.csrfMatches(a.sid, signer.csrf(a.sid))).toBe(true);
    expect(signer.csrfMatches(a.sid, signer.csrf(b.sid))).toBe(false);
    expect(signer.csrfMatches(a.sid, undefined)).toBe(false);
    expect(signer.csrfMatches(a.sid, '')).toBe(false);
  });

  it('cookies are HttpOnly, SameSite=Strict, scoped to /ui; Secure over https', () => {
    expect(cookieHeader('n', 'v', { maxAgeSeconds: 60, secure: false })).toBe(
      'n=v; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=60',
    );
    expect(cookieHeader('n', 'v', { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
    expect(parseCookies('a=1; b=2; a=3')).toEqual(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    );
  });
});
