import { toUtc } from './mapping.js';
import { cwNoteSchema } from './schemas.js';
/** Notes we wrote carry a marker like `[esc:7f3a2c]` (SPEC §4): how retries and normalizing recognise them. */
export const markerPattern = /\[esc:[0-9a-f]{6,}\]/;
/** The marker as it appears in the text: `[esc:7f3a2c]` given either that or the bare `7f3a2c`. */
export function markerText(marker) {
    const m = marker.trim();
    return m.startsWith('[') ? m : `[esc:${m}]`;
}
/** The note text with the marker present exactly once (appended on its own line when the text lacks it). */
export function withMarker(text, marker) {
    const tag = markerText(marker);
    return text.includes(tag) ? text : `${text.trimEnd()}\n\n${tag}`;
}
/** Parses one notes-endpoint item; anything that is not an object reads as an empty note. */
export function parseNote(raw) {
    const parsed = cwNoteSchema.safeParse(raw);
    return parsed.success ? parsed.data : {};
}
function author(note) {
    return note.member?.identifier ?? note.createdBy ?? note.contact?.name ?? undefined;
}
/** Written by us: carries a marker, or was created by our API member. */
export function isOurNote(note, apiMember) {
    if (markerPattern.test(note.text ?? ''))
        return true;
    if (!apiMember)
        return false;
    const me = apiMember.toLowerCase();
    return [note.member?.identifier, note.createdBy].some((a) => typeof a === 'string' && a.toLowerCase() === me);
}
function byNewest(a, b) {
    if (a.at !== b.at)
        return a.at < b.at ? 1 : -1;
    return b.seq - a.seq;
}
/** Splits the fetched notes into description, recent notes and the latest human note. */
export function summarizeNotes(rawNotes, apiMember) {
    const dated = rawNotes
        .map(parseNote)
        .filter((n) => (n.text ?? '').trim() !== '')
        .map((note, i) => ({ note, at: toUtc(note.dateCreated) ?? toUtc(note._info?.['lastUpdated']) ?? '', seq: Number(note.id) || i }))
        .sort(byNewest);
    const descriptionNote = [...dated].reverse().find((d) => d.note.detailDescriptionFlag === true && !isOurNote(d.note, apiMember));
    const rest = dated.filter((d) => d !== descriptionNote && !isOurNote(d.note, apiMember));
    const recentNotes = rest.slice(0, 5).map(({ note, at }) => {
        const who = author(note);
        return {
            at,
            ...(who === undefined ? {} : { author: who }),
            internal: note.internalAnalysisFlag === true || (note.internalFlag === true && note.detailDescriptionFlag !== true),
            text: (note.text ?? '').trim(),
            ours: false,
        };
    });
    const latest = rest[0];
    return {
        ...(descriptionNote ? { description: (descriptionNote.note.text ?? '').trim() } : {}),
        recentNotes,
        ...(latest ? { latestNote: (latest.note.text ?? '').trim() } : {}),
    };
}
//# sourceMappingURL=notes.js.map