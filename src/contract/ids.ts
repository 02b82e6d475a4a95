/**
 * Ticket ids as the service keys them. Every connector passes the ids it reads (webhook bodies, change lists,
 * fetched tickets) through `canonicalTicketId`, and the pipeline does again where ids enter it, so one ticket has
 * one key for its job, lock, state, schedule entry and note markers: ConnectWise may write ticket 1234 as
 * `"0001234"` or `" 1234 "`, and those must not become a second ticket (a second record, a second handoff note).
 */

/** Longest id kept: PSA ids are short; anything longer is refused rather than used as a Redis key. */
export const MAX_TICKET_ID_LENGTH = 128;

/**
 * The canonical form of a ticket id, or `undefined` when there is none:
 * - a number: a non-negative safe integer, in decimal (`1234`);
 * - a numeric string: surrounding whitespace and leading zeros dropped (`" 0001234 "` → `"1234"`, `"000"` → `"0"`);
 * - any other string: trimmed (`" INC-7 "` → `"INC-7"`), at most {@link MAX_TICKET_ID_LENGTH} characters, no
 *   control characters;
 * - anything else (empty, negative, fractional, objects): `undefined`.
 */
export function canonicalTicketId(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (s === '' || s.length > MAX_TICKET_ID_LENGTH) return undefined;
  if (/^\d+$/.test(s)) return s.replace(/^0+(?=\d)/, '');
  return /[\u0000-\u001f\u007f]/.test(s) ? undefined : s;
}

/** Canonical id of a PSA's positive numeric ticket id (`"0001234"` → `"1234"`); `undefined` for 0, names or junk. */
export function canonicalNumericTicketId(value: unknown): string | undefined {
  const id = canonicalTicketId(value);
  return id !== undefined && /^\d{1,15}$/.test(id) && id !== '0' ? id : undefined;
}
