import { createHash, timingSafeEqual } from 'node:crypto';
const digest = (value) => createHash('sha256').update(value, 'utf8').digest();
/**
 * True when `authorization` is `Bearer <token>` for the configured admin token. Security: both sides are hashed to
 * 32 bytes first, so the comparison is constant-time whatever the lengths (timingSafeEqual throws on a length
 * mismatch, and an early length check would leak the token's length). No token configured → always false.
 */
export function bearerMatches(authorization, token) {
    if (token === undefined || token === '')
        return false;
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const given = m?.[1];
    if (given === undefined)
        return false;
    return timingSafeEqual(digest(given), digest(token));
}
//# sourceMappingURL=admin-auth.js.map