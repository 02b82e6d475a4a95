import { hasMarker } from '../../src/contract/index.js';

import type { AutotaskSettings } from './schemas.js';
import type { PicklistMap } from './mapping.js';

/** A note row's field, case-insensitively (responses are camelCase, some proxies PascalCase). */
function noteField(note: unknown, key: string): unknown {
  if (typeof note !== 'object' || note === null) return undefined;
  const k = key.toLowerCase();
  return Object.entries(note).find(([name]) => name.toLowerCase() === k)?.[1];
}

const sameResource = (v: unknown, me: string): boolean =>
  (typeof v === 'number' || (typeof v === 'string' && /^\s*\d+\s*$/.test(v))) && String(Number(v)) === me;

/**
 * Ours: our marker in `text` AND written by our API user's resource (`creatorResourceID`, or the impersonator when
 * Autotask stamped one). A marker typed into a contact's note is not ours. `me` unknown (the lookup failed and
 * `connection.apiResourceID` is not set): the author can't be checked and the marker alone decides.
 */
export function isOurNote(text: string, note: unknown, me: string | number | undefined): boolean {
  if (!hasMarker(text)) return false;
  if (me === undefined) return true;
  const id = String(me);
  return (
    sameResource(noteField(note, 'creatorResourceID'), id) ||
    sameResource(noteField(note, 'impersonatorCreatorResourceID'), id)
  );
}

/** Autotask note limits (TicketNoteModel): title 250, description 32,000 characters. */
const TITLE_MAX = 250;
const DESCRIPTION_MAX = 32_000;

export interface NoteKind {
  noteType: number;
  publish: number;
}

function pick(picklists: PicklistMap | undefined, field: string, pattern: RegExp): number | undefined {
  const key = picklists ? Object.keys(picklists).find((k) => k.toLowerCase() === field.toLowerCase()) : undefined;
  const list = key === undefined ? undefined : picklists?.[key];
  const found = list?.find((p) => pattern.test(p.label)) ?? undefined;
  return found === undefined || !/^\d+$/.test(found.value) ? undefined : Number(found.value);
}

/**
 * `noteType` / `publish` for one visibility. Configured values win; else the tenant's picklists are read by label
 * (the values are tenant-specific and the internal-only one is UNVERIFIED, autotask.md §6): `publish` by label,
 * `noteType` the picklist default; else Datto's Postman values (`1`, publish 1 = "All Autotask Users"), 2 for internal.
 */
export function noteKind(
  visibility: 'internal' | 'customer',
  settings: Pick<AutotaskSettings, 'notes'>,
  picklists: PicklistMap | undefined,
): NoteKind {
  const configured = settings.notes[visibility];
  if (configured) return configured;
  const key = picklists ? Object.keys(picklists).find((k) => k.toLowerCase() === 'notetype') : undefined;
  const fallback = (key === undefined ? undefined : picklists?.[key])?.find((p) => p.isDefault)?.value;
  const noteType = fallback !== undefined && /^\d+$/.test(fallback) ? Number(fallback) : 1;
  const publish =
    visibility === 'internal'
      ? (pick(picklists, 'publish', /internal/i) ?? 2)
      : (pick(picklists, 'publish', /^all\b|all autotask users|public|customer/i) ?? 1);
  return { noteType, publish };
}

/** Title of one of our notes: short, and carrying the marker so it shows in the ticket's note list. */
export function noteTitle(text: string, marker: string, visibility: 'internal' | 'customer'): string {
  const first =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  const base =
    visibility === 'customer'
      ? 'Update on your request'
      : first.length > 0 && first.length <= 120
        ? first
        : 'Escalation note';
  return `${base} ${marker}`.slice(0, TITLE_MAX);
}

/** Description: plain text (the API cannot write rich text), the marker always kept, within the length limit. */
export function noteDescription(text: string, marker: string): string {
  const suffix = text.includes(marker) ? '' : `\n\n${marker}`;
  const room = DESCRIPTION_MAX - suffix.length;
  const body = text.length > room ? `${text.slice(0, room - 2)}…\n` : text;
  return body.includes(marker) ? body : `${body}${suffix}`;
}
