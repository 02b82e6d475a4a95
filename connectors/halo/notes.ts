import { hasMarker } from '../../src/contract/index.js';
import type { TicketNote } from '../../src/contract/index.js';

import { haloInstant } from './mapping.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** Plain text of an HTML note: tags out, block ends as newlines, common entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<\s*(br|\/p|\/div|\/li|\/h\d)\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39);/g, (_m, e: string) => ENTITIES[e] ?? '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The text of an action: `note`, else `note_html` as text. */
export function actionText(action: Obj): string {
  if (typeof action.note === 'string' && action.note.trim() !== '') return action.note.trim();
  if (typeof action.note_html === 'string') return htmlToText(action.note_html);
  return '';
}

const sameId = (v: unknown, id: string | undefined) =>
  id !== undefined && v !== undefined && v !== null && String(v) === id;

/**
 * True for notes we wrote: our marker in the text AND our API agent as the author. A marker typed by an end user (or
 * quoted from one of our customer-visible notes) is not ours. Our agent unknown (`GET /api/Agent/me` failed): the
 * author can't be checked and the marker alone decides.
 */
export function isOurs(action: Obj, text: string, ownAgentId: string | undefined): boolean {
  if (!hasMarker(text)) return false;
  return (
    ownAgentId === undefined || sameId(action.who_agentid, ownAgentId) || sameId(action.actionby_agent_id, ownAgentId)
  );
}

/** `recentNotes` (newest first, ≤ 5, ours flagged) and `latestNote` (newest not ours) from `/api/Actions` rows. */
export function normalizeNotes(
  actions: readonly unknown[],
  ownAgentId: string | undefined,
): { recentNotes: TicketNote[]; latestNote?: string } {
  const notes: TicketNote[] = [];
  for (const a of actions) {
    if (!isObj(a)) continue;
    const text = actionText(a);
    const at = haloInstant(a.datetime) ?? haloInstant(a.actiondatecreated) ?? haloInstant(a.actionarrivaldate);
    if (text === '' || at === undefined) continue; // system rows (status flips, timers) carry no note text
    const note: TicketNote = { at, internal: a.hiddenfromuser === true, text, ours: isOurs(a, text, ownAgentId) };
    const author = typeof a.who === 'string' && a.who.trim() !== '' ? a.who.trim() : undefined;
    if (author) note.author = author;
    notes.push(note);
  }
  notes.sort((x, y) => Date.parse(y.at) - Date.parse(x.at));
  const latest = notes.find((n) => !n.ours)?.text;
  return latest === undefined
    ? { recentNotes: notes.slice(0, 5) }
    : { recentNotes: notes.slice(0, 5), latestNote: latest };
}
