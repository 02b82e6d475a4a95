import { hasMarker } from '../../src/contract/index.js';
import type { TicketNote } from '../../src/contract/index.js';

import { toUtc } from './mapping.js';
import { cwNoteSchema } from './schemas.js';
import type { CwNote } from './schemas.js';

/** Parses one notes-endpoint item; anything that is not an object reads as an empty note. */
export function parseNote(raw: unknown): CwNote {
  const parsed = cwNoteSchema.safeParse(raw);
  return parsed.success ? parsed.data : {};
}

function author(note: CwNote): string | undefined {
  return note.member?.identifier ?? note.createdBy ?? note.contact?.name ?? undefined;
}

/** Written by our API member: no contact on it, and its member (else `createdBy`) is `apiMember`. */
function byApiMember(note: CwNote, apiMember: string): boolean {
  if (note.contact) return false; // portal / email replies carry the contact; a contact can be named anything
  const me = apiMember.trim().toLowerCase();
  const who = note.member?.identifier ?? note.createdBy;
  return typeof who === 'string' && who.trim().toLowerCase() === me;
}

/**
 * Written by us: carries our marker AND was created by our API member (`connection.apiMember`). A marker a customer
 * typed (or quoted from one of our customer-visible notes) is not ours: the note stays a human note for `text` rules
 * and "steps taken", and never stands in for the note we are about to write. Without `apiMember` the author can't
 * be checked and the marker alone decides (docs/ticket-identity.md).
 */
export function isOurNote(note: CwNote, apiMember: string | undefined): boolean {
  if (!hasMarker(note.text)) return false;
  return apiMember === undefined || apiMember.trim() === '' || byApiMember(note, apiMember);
}

interface Dated {
  note: CwNote;
  at: string;
  seq: number;
}

function byNewest(a: Dated, b: Dated): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return b.seq - a.seq;
}

export interface NoteSummary {
  /** The ticket's initial description (ConnectWise keeps it as the oldest Discussion note). */
  description?: string;
  /**
   * Newest first, at most 5, excluding the description note: our newest note (flagged `ours`, as Autotask and Halo
   * flag theirs) and the newest human notes. Only one of ours, so four human updates always fit; consumers leave
   * `ours` notes out of "steps taken", and the pipeline reads them as "we handled this ticket before" when its
   * record and audit trail have expired (its write then looks for the marker before posting).
   */
  recentNotes: TicketNote[];
  /** Newest note not written by us. */
  latestNote?: string;
}

/** Splits the fetched notes into description, recent notes and the latest human note. */
export function summarizeNotes(rawNotes: readonly unknown[], apiMember: string | undefined): NoteSummary {
  const dated: Dated[] = rawNotes
    .map(parseNote)
    .filter((n) => (n.text ?? '').trim() !== '')
    .map((note, i) => ({
      note,
      at: toUtc(note.dateCreated) ?? toUtc(note._info?.['lastUpdated']) ?? '',
      seq: Number(note.id) || i,
    }))
    .sort(byNewest);
  const descriptionNote = [...dated]
    .reverse()
    .find((d) => d.note.detailDescriptionFlag === true && !isOurNote(d.note, apiMember));
  const rest = dated.filter((d) => d !== descriptionNote && !isOurNote(d.note, apiMember));
  const ourNewest = dated.find((d) => d !== descriptionNote && isOurNote(d.note, apiMember));
  const picked = ourNewest ? [ourNewest, ...rest.slice(0, 4)].sort(byNewest) : rest.slice(0, 5);
  const recentNotes = picked.map(({ note, at }): TicketNote => {
    const who = author(note);
    return {
      at,
      ...(who === undefined ? {} : { author: who }),
      internal:
        note.internalAnalysisFlag === true || (note.internalFlag === true && note.detailDescriptionFlag !== true),
      text: (note.text ?? '').trim(),
      ours: note === ourNewest?.note,
    };
  });
  const latest = rest[0];
  return {
    ...(descriptionNote ? { description: (descriptionNote.note.text ?? '').trim() } : {}),
    recentNotes,
    ...(latest ? { latestNote: (latest.note.text ?? '').trim() } : {}),
  };
}
