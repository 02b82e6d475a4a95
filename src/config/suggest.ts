/**
 * "did you mean …?" for unknown keys: a typo such as `timeInTeir` should point at `timeInTier`, not just fail.
 * The vocabulary is every key of the config language (docs/spec.md §2, §7); callers that know the exact allowed keys
 * at a place pass those instead.
 */
export const configVocabulary: readonly string[] = [
  // top level, calendars, notifiers, groups
  'calendars',
  'tiers',
  'notifiers',
  'groups',
  'policies',
  'templates',
  'retention',
  'dedupeTtl',
  'instances',
  'timezone',
  'hours',
  'holidays',
  'overrides',
  'calendarFor',
  'company',
  'site',
  'notPickedUpFor',
  'updateOverdue',
  'rca',
  'after',
  'heading',
  'template',
  'quietHours',
  'except',
  'kind',
  'url',
  'assign',
  'members',
  'oncall',
  'rotation',
  'start',
  'every',
  'audit',
  'deadLetters',
  // policies and rules
  'calendar',
  'sla',
  'vip',
  'slaFactor',
  'pauseOn',
  'limits',
  'maxAutoEscalationsPerDay',
  'respectManualChangesFor',
  'handoff',
  'required',
  'onMissing',
  'rules',
  'firstResponse',
  'resolution',
  'id',
  'when',
  'then',
  'tier',
  'priority',
  'status',
  'not',
  'text',
  'category',
  'usersAffected',
  'owner',
  'age',
  'timeInTier',
  'slaUsed',
  'recurring',
  'count',
  'within',
  'same',
  'outsideCalendar',
  'any',
  'all',
  'gte',
  'gt',
  'lte',
  'lt',
  'eq',
  'escalateTo',
  'group',
  'note',
  'customerNote',
  'notify',
  'tag',
  // instances
  'policy',
  'mode',
  'reconcileEvery',
  'rateLimit',
  'backfill',
  'alerts',
  'fields',
  'slaDriftTolerance',
  'requests',
  'per',
  'concurrency',
  'connection',
  'webhook',
  'notes',
  'mapping',
  'priorities',
  'statuses',
  'vipCompanies',
  'customField',
  'fromImpact',
  'internal',
  'customer',
];

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest candidate within a small edit distance (case-insensitive), if any. */
export function closest(word: string, candidates: readonly string[] = configVocabulary): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.min(2, Math.floor(w.length / 3));
  let best: { word: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(w, candidate.toLowerCase());
    if (d <= limit && d > 0 && (!best || d < best.d)) best = { word: candidate, d };
    if (d === 0 && candidate !== word) return candidate; // only the case differs
  }
  return best?.word;
}

/** `unknown key` plus a suggestion when one is close. */
export function unknownKeyMessage(key: string, candidates?: readonly string[], prefix = 'unknown key'): string {
  const guess = closest(key, candidates);
  return guess === undefined ? prefix : `${prefix} (did you mean "${guess}"?)`;
}
