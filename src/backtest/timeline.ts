import { z } from 'zod';

import { InstantSchema, StatusCategorySchema, TicketSchema } from '../contract/index.js';
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
  return parseTimelineJson(json, lineNo);
}

function parseTimelineJson(json: unknown, lineNo: number): Result<Timeline, string> {
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

/** What the backtest's first pass (the cross-ticket index, cross-ticket.ts) reads of a ticket. */
export interface IndexTicket {
  ref: { id: string };
  createdAt: string;
  company: { id: string };
  category: string[];
  status: { category: Ticket['status']['category'] };
  owner: { id: string; name?: string } | null;
}
export interface IndexTimeline {
  instance: string;
  snapshots: { at: string; ticket: IndexTicket }[];
}

/** Only the fields the index reads, each with the schema the normalized model (TicketSchema) gives it. */
const IndexLineSchema = z.object({
  instance: z.string().min(1),
  snapshots: z
    .array(
      z.object({
        at: InstantSchema,
        ticket: z.object({
          ref: z.object({ id: z.string().min(1) }),
          createdAt: InstantSchema,
          company: z.object({ id: z.string() }),
          category: z.array(z.string()),
          status: z.object({ category: StatusCategorySchema }),
          owner: z.object({ id: z.string(), name: z.string().optional() }).nullable(),
        }),
      }),
    )
    .min(1)
    .max(5000),
});

/**
 * One line as the first pass of a backtest reads it: the fields the cross-ticket index needs, or undefined when the
 * line is not a valid timeline (the second pass reports it). Cheaper than `parseTimelineLine` (a few fields checked
 * instead of the whole ticket), and it cannot change a result:
 *
 * - The index is used only by the second pass, which runs the full `parseTimelineLine` (zod, the trust boundary) on
 *   every line and stops the run at the first invalid one, with the same message as ever — an invalid line (or a file
 *   changed between the passes) never reaches a report, whatever this pass took from it.
 * - For a valid line the values read here equal the full parse's: the normalized schema gives these fields the same
 *   schemas (no transform), and when the line takes the lenient path instead, the lenient schema leaves such values
 *   as they are — strings stay, arrays stay, `ref.id` is non-empty so it is not replaced by `line-N` — except that it
 *   re-formats instants to whole seconds: `createdAt` is taken from here only when it has no fraction of a second
 *   (`at` has the same schema on both paths). Anything else, and every line these checks refuse, gets the full parse.
 */
export function parseIndexLine(line: string, lineNo: number): IndexTimeline | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const cheap = IndexLineSchema.safeParse(json);
  if (cheap.success && indexable(cheap.data)) return cheap.data;
  const full = parseTimelineJson(json, lineNo);
  return full.ok ? full.value : undefined;
}

/** The checks of `normalizedFast` on the index fields (time order, one ticket id), and whole-second `createdAt`s. */
function indexable(t: IndexTimeline): boolean {
  const id = t.snapshots[0]!.ticket.ref.id;
  let prev = -Infinity;
  for (const s of t.snapshots) {
    const at = Date.parse(s.at);
    const created = Date.parse(s.ticket.createdAt);
    if (at < prev || s.ticket.ref.id !== id || Number.isNaN(created) || created % 1000 !== 0) return false;
    prev = at;
  }
  return true;
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
