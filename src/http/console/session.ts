import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Console sessions as signed cookies (no server state, so every `api` replica accepts them): the value is
 * `<payload>.<HMAC-SHA256>` with a key derived from ADMIN_TOKEN, so rotating the token signs everyone out. The CSRF
 * token of a session is an HMAC of its id under a separate label (synchronizer token, never stored in the cookie).
 */
export const SESSION_COOKIE = 'esc_console';
export const PRESESSION_COOKIE = 'esc_console_pre';
/** @defaultValue 12 h: one working day; sign in again the next morning. */
export const SESSION_TTL_MS = 12 * 3_600_000;

interface SessionPayload {
  sid: string;
  exp: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function equal(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

export class SessionSigner {
  private readonly key: Buffer;

  constructor(adminToken: string) {
    this.key = createHash('sha256').update(`psa-escalator console v1\n${adminToken}`).digest();
  }

  private mac(label: string, value: string): string {
    return createHmac('sha256', this.key).update(`${label}\n${value}`).digest('base64url');
  }

  issue(now: number): { cookie: string; sid: string; expiresAt: number } {
    const payload: SessionPayload = { sid: randomBytes(18).toString('base64url'), exp: now + SESSION_TTL_MS };
    const body = b64(JSON.stringify(payload));
    return { cookie: `${body}.${this.mac('session', body)}`, sid: payload.sid, expiresAt: payload.exp };
  }

  /** The session id of a valid, unexpired cookie value; undefined otherwise. */
  verify(cookie: string | undefined, now: number): string | undefined {
    if (!cookie) return undefined;
    const dot = cookie.indexOf('.');
    if (dot <= 0) return undefined;
    const body = cookie.slice(0, dot);
    if (!equal(cookie.slice(dot + 1), this.mac('session', body))) return undefined;
    try {
      const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<SessionPayload>;
      if (typeof p.sid !== 'string' || typeof p.exp !== 'number' || p.exp <= now) return undefined;
      return p.sid;
    } catch {
      return undefined;
    }
  }

  /** CSRF token bound to a session id (or to a pre-session nonce for the sign-in form). */
  csrf(sid: string): string {
    return this.mac('csrf', sid);
  }

  csrfMatches(sid: string, given: string | undefined): boolean {
    return given !== undefined && given !== '' && equal(given, this.csrf(sid));
  }
}

/** Parses a Cookie header (first occurrence of a name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export function cookieHeader(name: string, value: string, o: { maxAgeSeconds: number; secure: boolean }): string {
  return `${name}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${o.maxAgeSeconds}${o.secure ? '; Secure' : ''}`;
}
