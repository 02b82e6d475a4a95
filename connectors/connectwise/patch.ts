import type { CwTicket } from './schemas.js';

import { idString } from './mapping.js';

/**
 * Pure JSON-Patch building for ticket writes (connectwise.md §4.4): one array, whole reference objects replaced
 * (`{"op":"replace","path":"owner","value":{"identifier":"…"}}`, never `owner/identifier`, which gives a false 200),
 * lower-camel paths, and only the fields that differ from the ticket as just re-read.
 */
export interface PatchOperation {
  op: 'replace' | 'remove';
  path: 'board' | 'status' | 'team' | 'owner' | 'priority';
  value?: { id: number } | { identifier: string };
}

/** A member reference as a write sends it: by identifier (what `mapping.members` holds) or by numeric id. */
export type MemberTarget = { identifier: string } | { id: number };

/** What the ticket should look like after the write; absent keys are left alone. */
export interface WriteTarget {
  board?: number;
  /** `null`: the ticket leaves its team (a move to a board location without a team: teams are board-scoped). */
  team?: number | null;
  status?: number;
  owner?: MemberTarget;
  priority?: number;
}

/** The owner value of a plan (`mapping.members` entry or member name): identifier string, numeric id or an object. */
export function memberTarget(owner: unknown): MemberTarget | undefined {
  if (typeof owner === 'string' && owner.trim() !== '') return { identifier: owner.trim() };
  if (typeof owner === 'number' && Number.isInteger(owner) && owner > 0) return { id: owner };
  if (typeof owner === 'object' && owner !== null) {
    const o = owner as { identifier?: unknown; id?: unknown };
    if (typeof o.identifier === 'string' && o.identifier.trim() !== '') return { identifier: o.identifier.trim() };
    const id = idString(o.id);
    if (id !== undefined) return { id: Number(id) };
  }
  return undefined;
}

function ownerIs(current: CwTicket, owner: MemberTarget): boolean {
  if ('identifier' in owner) return current.owner?.identifier?.toLowerCase() === owner.identifier.toLowerCase();
  return idString(current.owner?.id) === String(owner.id);
}

const refId = (r: { id?: unknown } | null | undefined): number | undefined => {
  const id = idString(r?.id);
  return id === undefined ? undefined : Number(id);
};

/** The operations that move `current` to `target`, in a stable order (board before its board-scoped fields). */
export function buildPatch(current: CwTicket, target: WriteTarget): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (target.board !== undefined && refId(current.board) !== target.board) ops.push({ op: 'replace', path: 'board', value: { id: target.board } });
  if (target.status !== undefined && refId(current.status) !== target.status) ops.push({ op: 'replace', path: 'status', value: { id: target.status } });
  if (target.team === null) {
    if (refId(current.team) !== undefined) ops.push({ op: 'remove', path: 'team' });
  } else if (target.team !== undefined && refId(current.team) !== target.team) {
    ops.push({ op: 'replace', path: 'team', value: { id: target.team } });
  }
  if (target.owner !== undefined && !ownerIs(current, target.owner)) ops.push({ op: 'replace', path: 'owner', value: target.owner });
  if (target.priority !== undefined && refId(current.priority) !== target.priority) ops.push({ op: 'replace', path: 'priority', value: { id: target.priority } });
  return ops;
}

/** Fields of `target` that the re-read ticket does not show (the documented false 200). */
export function notApplied(readBack: CwTicket, target: WriteTarget): (keyof WriteTarget)[] {
  const missing: (keyof WriteTarget)[] = [];
  if (target.board !== undefined && refId(readBack.board) !== target.board) missing.push('board');
  if (target.status !== undefined && refId(readBack.status) !== target.status) missing.push('status');
  if (target.team === null ? refId(readBack.team) !== undefined : target.team !== undefined && refId(readBack.team) !== target.team) missing.push('team');
  if (target.owner !== undefined && !ownerIs(readBack, target.owner)) missing.push('owner');
  if (target.priority !== undefined && refId(readBack.priority) !== target.priority) missing.push('priority');
  return missing;
}

export interface NoteBody {
  text: string;
  detailDescriptionFlag: boolean;
  internalAnalysisFlag: boolean;
  resolutionFlag: boolean;
  processNotifications: boolean;
}

/**
 * `POST /service/tickets/{id}/notes` body (connectwise.md §4.5): exactly one tab flag. Internal handoff notes go to the
 * Internal tab without notification processing; customer notes go to Discussion and let the board's
 * notification rules email the contact.
 */
export function noteBody(text: string, visibility: 'internal' | 'customer'): NoteBody {
  const internal = visibility === 'internal';
  return {
    text,
    detailDescriptionFlag: !internal,
    internalAnalysisFlag: internal,
    resolutionFlag: false,
    processNotifications: !internal,
  };
}
