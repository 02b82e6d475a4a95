/**
 * The note marker (docs/contract.md "Note markers"): every note we write carries `[esc:<hex>]`, derived from the
 * action id, so a retried job recognises a note it already posted and normalizers flag our own notes. One format and
 * one parser for every connector.
 */

/** A marker anywhere in a text: `[esc:` + at least six lower-case hex digits + `]`. */
export const MARKER_PATTERN = /\[esc:[0-9a-f]{6,}\]/;

/** The marker of an action id (`[esc:7f3a2c1d]`): its first eight characters. */
export const markerOf = (actionId: string): string => `[esc:${actionId.slice(0, 8)}]`;

/** The marker as it appears in a text: `[esc:7f3a2c]` given either that or the bare `7f3a2c`. */
export function markerText(marker: string): string {
  const m = marker.trim();
  return m.startsWith('[') ? m : `[esc:${m}]`;
}

/** The first marker in a text, or undefined (the one parser: connectors never match markers themselves). */
export function parseMarker(text: string | null | undefined): string | undefined {
  return typeof text === 'string' ? MARKER_PATTERN.exec(text)?.[0] : undefined;
}

/** True when the text carries any marker. */
export function hasMarker(text: string | null | undefined): boolean {
  return parseMarker(text) !== undefined;
}

/** True when the text carries this marker (bare or bracketed), and the marker is well-formed. */
export function carriesMarker(text: string | null | undefined, marker: string): boolean {
  const tag = markerText(marker);
  return typeof text === 'string' && MARKER_PATTERN.test(tag) && text.includes(tag);
}

/** The note text with the marker present exactly once (appended on its own line when the text lacks it). */
export function withMarker(text: string, marker: string): string {
  const tag = markerText(marker);
  return text.includes(tag) ? text : `${text.trimEnd()}\n\n${tag}`;
}
