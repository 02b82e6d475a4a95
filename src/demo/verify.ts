import { z } from 'zod';

/**
 * The demo checks its own result the way a user would: `GET /api/escalations` with the printed token must list, for
 * every instance, at least one applied move with its reasons (rule, kind, matched values). Parsed with zod: this is
 * an HTTP boundary like any other.
 */
const entrySchema = z.object({
  instanceId: z.string(),
  ticketId: z.string(),
  decision: z.object({
    actions: z.array(z.looseObject({ type: z.string(), rule: z.string() })),
    reasons: z.array(
      z.looseObject({
        rule: z.string(),
        kind: z.string(),
        text: z.string(),
        matched: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
  results: z.array(z.looseObject({ action: z.string(), status: z.string() })),
});
const pageSchema = z.object({ items: z.array(entrySchema), nextCursor: z.string().nullable().optional() });

export interface Verification {
  /** Applied escalations (a move written to the PSA, with reasons) per instance id. */
  escalations: Record<string, number>;
  ok: boolean;
  problem?: string;
}

export async function verifyEscalations(
  baseUrl: string,
  token: string,
  instanceIds: readonly string[],
): Promise<Verification> {
  const escalations: Record<string, number> = {};
  for (const id of instanceIds) {
    const res = await fetch(`${baseUrl}/api/escalations?instance=${encodeURIComponent(id)}&limit=500`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 200) return { escalations, ok: false, problem: `GET /api/escalations answered ${res.status}` };
    const page = pageSchema.safeParse(await res.json());
    if (!page.success) return { escalations, ok: false, problem: 'GET /api/escalations answered an unexpected shape' };
    escalations[id] = page.data.items.filter((e) => {
      const moved = e.decision.actions.some((a) => a.type === 'reassign');
      const applied = e.results.some((r) => r.action === 'reassign' && r.status === 'applied');
      return moved && applied && e.decision.reasons.length > 0;
    }).length;
  }
  const missing = instanceIds.filter((id) => (escalations[id] ?? 0) === 0);
  return missing.length === 0
    ? { escalations, ok: true }
    : { escalations, ok: false, problem: `no applied escalation listed for ${missing.join(', ')}` };
}
