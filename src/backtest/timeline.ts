import { z } from 'zod';

import { InstantSchema, TicketSchema } from '../contract/index.js';
import type { Result, Ticket } from '../contract/index.js';
import { EvaluateTicketSchema } from '../engine/index.js';

/**
 * The timeline JSONL format of the backtest (docs/backtest.md): one ticket per line,
 * `{"instance": ID, "snapshots": [{"at": ISO, "ticket": Ticket}, …]}` in time order, each `ticket` the normalized
 * model as `POST /api/evaluate` takes it, as it was at `at`. The JSON Schema in docs/schemas/timeline.schema.json is
 * generated from this schema (`npx tsx scripts/gen-timeline-schema.ts`; a test diffs the two).
 */

export const SnapshotSchema = z.object({
  /** The instant the ticket looked like this (an observation, an audit-trail entry, a history row). */
  at: InstantSchema,
  ticket: EvaluateTicketSchema,
});

export const TimelineSchema = z
  .object({
    /** The escalator instance whose policy and mapping apply. */
    instance: z.string().min(1),
    snapshots: z.array(SnapshotSchema).min(1).max(5000),
  })
  .superRefine((t, ctx) => {
    let prev = -Infinity;
    t.snapshots.forEach((s, i) => {
      const at = Date.parse(s.at);
      if (at < prev)
        ctx.addIssue({ code: 'custom', path: ['snapshots', i, 'at'], message: 'snapshots must be in time order' });
      prev = at;
    });
    const ids = new Set(t.snapshots.map((s) => s.ticket.ref.id));
    if (ids.size > 1)
      ctx.addIssue({ code: 'custom', path: ['snapshots'], message: 'every snapshot must be the same ticket (ref.id)' });
  });

export interface Snapshot {
  at: string;
  ticket: Ticket;
}
export interface Timeline {
  instance: string;
  snapshots: Snapshot[];
}

/**
 * Lines already in the normalized model (what `export` and `--from-history` write) pass this stricter schema, several
 * times faster than the lenient one (no shorthands to expand, no instants to re-format); anything else takes the
 * lenient path, which also produces the error message.
 */
const NormalizedLineSchema = z.object({
  instance: z.string().min(1),
  snapshots: z
    .array(z.object({ at: InstantSchema, ticket: TicketSchema }))
    .min(1)
    .max(5000),
});

function normalizedFast(json: unknown): Timeline | undefined {
  const fast = NormalizedLineSchema.safeParse(json);
  if (!fast.success) return undefined;
  const snaps = fast.data.snapshots;
  const id = snaps[0]!.ticket.ref.id;
  let prev = -Infinity;
  for (const s of snaps) {
    const at = Date.parse(s.at);
    const t = s.ticket;
    if (
      at < prev ||
      t.ref.id !== id ||
      id === '' ||
      Number.isNaN(Date.parse(t.createdAt)) ||
      Number.isNaN(Date.parse(t.updatedAt))
    )
      return undefined;
    prev = at;
  }
  return {
    instance: fast.data.instance,
    snapshots: snaps.map((s) =>
      s.ticket.ref.instance === fast.data.instance
        ? s
        : { at: s.at, ticket: { ...s.ticket, ref: { ...s.ticket.ref, instance: fast.data.instance } } },
    ),
  };
}

/** One line of a timeline file → a Timeline, or one message naming the line and the JSON path of the problem. */
export function parseTimelineLine(line: string, lineNo: number): Result<Timeline, string> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `line ${lineNo}: not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const fast = normalizedFast(json);
  if (fast) return { ok: true, value: fast };
  const parsed = TimelineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return { ok: false, error: `line ${lineNo}: ${path ? `${path.replace(/^\./, '')}: ` : ''}${issue.message}` };
  }
  const t = parsed.data;
  // A ticket without an id (hand-written) gets the line number, so decisions can name it.
  const id = t.snapshots[0]!.ticket.ref.id || `line-${lineNo}`;
  const snapshots = t.snapshots.map((s) => ({
    at: s.at,
    ticket: { ...s.ticket, ref: { ...s.ticket.ref, id, instance: t.instance } },
  }));
  return { ok: true, value: { instance: t.instance, snapshots } };
}

/** The JSON Schema of one line (input side: what a producer writes). */
export function timelineJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TimelineSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/psa-escalator/psa-escalator/docs/schemas/timeline.schema.json',
    title: 'psa-escalator backtest timeline (one JSONL line)',
    description:
      'One ticket per line: its snapshots in time order, each the normalized ticket (as POST /api/evaluate takes it) as it was at `at`. See docs/backtest.md.',
  };
}
