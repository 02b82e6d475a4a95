import { createHmac, timingSafeEqual } from 'node:crypto';

import { z } from 'zod';

import { ConnectorError, deriveTier, err, hasMarker, isConnectorError, ok } from '../../src/contract/index.js';
import type {
  ActionResult,
  ConnectorContext,
  FetchedTicket,
  InstanceInfo,
  PsaConnector,
  Ticket,
  WebhookRequest,
  WritePlan,
} from '../../src/contract/index.js';

import type { FakeTicket } from './test-psa.js';

/**
 * A test-only `PsaConnector` over the fake PSA of test/helpers/test-psa.ts (real HTTP through `ctx.http`, so the
 * shared rate limiter, retries and Retry-After handling are exercised). It proves the pipeline before and
 * independently of the real connectors. Webhooks are signed with `x-test-signature: hex(HMAC-SHA256(secret, raw))`.
 */
export const TestSettingsSchema = z.object({
  baseUrl: z.string().url(),
  secret: z.string().min(1),
  /** Changes made by this actor are our own (echoes). */
  apiIdentity: z.string().default('escalator-api'),
  /** Per-request timeout of note POSTs (tests make a slow PSA time out). @defaultValue the client's */
  noteTimeoutMs: z.number().int().positive().optional(),
});
export type TestSettings = z.infer<typeof TestSettingsSchema>;
type Ctx = ConnectorContext<TestSettings>;

const locationKeys = { queue: { field: 'queue', by: 'id' } } as const;
const categories = ['new', 'open', 'waiting_customer', 'waiting_vendor', 'scheduled', 'resolved', 'closed'] as const;

export function signBody(secret: string, raw: Buffer | string): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

/** A signed delivery as the fake PSA would send it. */
export function testDelivery(
  secret: string,
  body: { id: string; ticketId: string; action?: string; actor?: string; version?: string },
): WebhookRequest {
  const rawBody = Buffer.from(JSON.stringify({ action: 'updated', ...body }));
  return {
    headers: { 'x-test-signature': signBody(secret, rawBody), 'content-type': 'application/json' },
    rawBody,
    json: JSON.parse(rawBody.toString()) as unknown,
    query: {},
    ip: '127.0.0.1',
  };
}

const WebhookBody = z.object({
  id: z.string().min(1),
  ticketId: z.string().min(1),
  action: z.enum(['created', 'updated', 'deleted']).default('updated'),
  actor: z.string().optional(),
  version: z.string().optional(),
});

function normalize(fetched: FetchedTicket, instance: InstanceInfo, settings: TestSettings): Ticket {
  const t = fetched.ticket as FakeTicket;
  const level = [1, 2, 3, 4].includes(t.priority) ? (t.priority as 1 | 2 | 3 | 4) : null;
  const category = (categories as readonly string[]).includes(t.status)
    ? (t.status as Ticket['status']['category'])
    : 'open';
  const notes = (fetched.notes as FakeTicket['notes']).slice(0, 5).map((n) => ({
    at: n.at,
    author: n.author,
    internal: n.internal,
    text: n.text,
    ours: hasMarker(n.text) || n.author === settings.apiIdentity,
  }));
  const base: Ticket = {
    ref: { instance: instance.id, psa: instance.kind, id: t.id },
    number: t.id,
    title: t.title,
    ...(t.description ? { description: t.description } : {}),
    status: { id: t.status, name: t.status, category },
    priority: { id: String(t.priority), name: `P${t.priority}`, level },
    location: { queue: { id: t.queue } },
    tier: null,
    owner: t.owner ? { id: t.owner, name: t.owner } : null,
    company: {
      id: t.company,
      ...(t.companyName ? { name: t.companyName } : {}),
      vip: instance.mapping.vipCompanies.map(String).includes(t.company),
    },
    category: t.category,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    recentNotes: notes,
    ...(notes.find((n) => !n.ours) ? { latestNote: notes.find((n) => !n.ours)!.text } : {}),
    version: t.updatedAt,
    ...(t.sla ? { psaSla: t.sla } : {}),
  };
  return { ...base, tier: deriveTier(base, instance.mapping.tiers, locationKeys) };
}

async function get(ctx: Ctx, id: string): Promise<FakeTicket> {
  const res = await ctx.http.request<FakeTicket>({
    method: 'GET',
    url: `${ctx.settings.baseUrl}/tickets/${encodeURIComponent(id)}`,
  });
  return res.data;
}

const failed = (actionId: string, action: ActionResult['action'], e: unknown): ActionResult => ({
  actionId,
  action,
  status: 'failed',
  error: isConnectorError(e) ? { code: e.code, message: e.message } : { code: 'internal', message: String(e) },
});

async function writeFields(ctx: Ctx, plan: WritePlan, out: ActionResult[]): Promise<boolean> {
  const current = plan.fetched.ticket as FakeTicket;
  const patch: Record<string, unknown> = {};
  const r = plan.reassign;
  if (r) {
    const queue = r.location.queue === undefined ? undefined : String(r.location.queue);
    if (queue !== undefined && queue !== current.queue) patch.queue = queue;
    if (typeof r.owner === 'string' && r.owner !== current.owner) patch.owner = r.owner;
  }
  if (plan.priority && Number(plan.priority.id) !== current.priority) patch.priority = Number(plan.priority.id);
  const touched = [
    r ? { id: r.actionId, action: 'reassign' as const } : undefined,
    plan.priority ? { id: plan.priority.actionId, action: 'priority' as const } : undefined,
  ].filter((x) => x !== undefined);
  if (Object.keys(patch).length === 0) {
    for (const t of touched) out.push({ actionId: t.id, action: t.action, status: 'skipped' });
    return true;
  }
  try {
    await ctx.http.request({
      method: 'PATCH',
      url: `${ctx.settings.baseUrl}/tickets/${encodeURIComponent(plan.ticketId)}`,
      json: patch,
      idempotent: true,
    });
    const back = await get(ctx, plan.ticketId);
    const landed = Object.entries(patch).every(([k, v]) => (back as unknown as Record<string, unknown>)[k] === v);
    if (!landed) throw new ConnectorError('write_not_applied', 'read-back shows the write did not take');
    for (const t of touched) out.push({ actionId: t.id, action: t.action, status: 'applied' });
    return true;
  } catch (e) {
    for (const t of touched) out.push(failed(t.id, t.action, e));
    return false;
  }
}

async function writeNotes(ctx: Ctx, plan: WritePlan, out: ActionResult[]): Promise<void> {
  const existing = plan.verify ? (await get(ctx, plan.ticketId)).notes : [];
  for (const [i, note] of plan.notes.entries()) {
    if (existing.some((n) => n.text.includes(note.marker))) {
      out.push({ actionId: note.actionId, action: 'note', status: 'skipped' });
      continue;
    }
    try {
      await ctx.http.request({
        method: 'POST',
        url: `${ctx.settings.baseUrl}/tickets/${encodeURIComponent(plan.ticketId)}/notes`,
        json: { text: `${note.text}\n\n${note.marker}`, internal: note.visibility === 'internal' },
        ...(ctx.settings.noteTimeoutMs ? { timeoutMs: ctx.settings.noteTimeoutMs } : {}),
      });
      out.push({ actionId: note.actionId, action: 'note', status: 'applied' });
    } catch (e) {
      out.push(failed(note.actionId, 'note', e));
      for (const rest of plan.notes.slice(i + 1)) out.push(failed(rest.actionId, 'note', e));
      return;
    }
  }
}

export const testConnector = {
  kind: 'connectwise',
  displayName: 'Test PSA',
  settingsSchema: TestSettingsSchema,
  memberSchema: z.string(),
  membersRequireMapping: false,
  locationKeys,
  rateLimitDefaults: { requests: 600, per: 60_000 },
  async verifyWebhook(ctx, req) {
    const given = Buffer.from(req.headers['x-test-signature'] ?? '', 'utf8');
    const want = Buffer.from(signBody(ctx.settings.secret, req.rawBody), 'utf8');
    return given.length === want.length && timingSafeEqual(given, want)
      ? ok(undefined)
      : err(new ConnectorError('unauthorized', 'bad signature'));
  },
  async parseWebhook(ctx, req) {
    const body = WebhookBody.safeParse(req.json);
    if (!body.success) return err(new ConnectorError('bad_request', 'unexpected webhook body'));
    const { id, ticketId, action, actor, version } = body.data;
    if (actor === ctx.settings.apiIdentity) return ok({ ignore: 'echo', eventId: id, ticketId });
    return ok({ eventId: id, ticketId, action, ...(actor ? { actor } : {}), ...(version ? { version } : {}) });
  },
  async fetchTicket(ctx, ticketId) {
    try {
      const t = await get(ctx, ticketId);
      return ok({ ticket: t, notes: t.notes });
    } catch (e) {
      return err(isConnectorError(e) ? e : new ConnectorError('internal', String(e)));
    }
  },
  normalize,
  async readActivity(ctx, ticketId, since) {
    try {
      const res = await ctx.http.request<{ items: { at: string; author: string }[] }>({
        method: 'GET',
        url: `${ctx.settings.baseUrl}/tickets/${encodeURIComponent(ticketId)}/time-entries`,
        query: { since },
      });
      return ok(res.data.items.map((e) => ({ at: e.at, author: e.author, kind: 'time_entry' as const })));
    } catch (e) {
      return err(isConnectorError(e) ? e : new ConnectorError('internal', String(e)));
    }
  },
  async applyActions(ctx, plan) {
    const out: ActionResult[] = [];
    const fieldsOk = await writeFields(ctx, plan, out);
    if (!fieldsOk) {
      for (const n of plan.notes)
        out.push(failed(n.actionId, 'note', new ConnectorError('internal', 'not attempted after a failed write')));
      return out;
    }
    await writeNotes(ctx, plan, out);
    return out;
  },
  async registerWebhooks(ctx) {
    const res = await ctx.http.request<{ created: number }>({
      method: 'POST',
      url: `${ctx.settings.baseUrl}/webhooks`,
      json: {},
      idempotent: true,
    });
    return ok({ created: res.data.created, updated: 0, unchanged: res.data.created ? 0 : 1, removed: 0 });
  },
  async webhookState(ctx) {
    const res = await ctx.http.request<{ state: 'active' | 'inactive' | 'missing' }>({
      method: 'GET',
      url: `${ctx.settings.baseUrl}/webhooks`,
    });
    return ok(res.data.state);
  },
  async listChangedSince(ctx, since, page) {
    try {
      const n = Number(page ?? '0');
      const res = await ctx.http.request<{ items: { id: string; updatedAt: string }[]; more: boolean }>({
        method: 'GET',
        url: `${ctx.settings.baseUrl}/tickets`,
        query: { since, page: n },
      });
      const items = res.data.items.map((i) => ({ ticketId: i.id, version: i.updatedAt }));
      const highWater = items.reduce<string | undefined>(
        (m, i) => (m === undefined || i.version > m ? i.version : m),
        undefined,
      );
      return ok({ items, ...(res.data.more ? { nextPage: String(n + 1) } : {}), ...(highWater ? { highWater } : {}) });
    } catch (e) {
      return err(isConnectorError(e) ? e : new ConnectorError('internal', String(e)));
    }
  },
  async listOpen(ctx, page) {
    try {
      const n = Number(page ?? '0');
      const res = await ctx.http.request<{ items: { id: string; updatedAt: string }[]; more: boolean }>({
        method: 'GET',
        url: `${ctx.settings.baseUrl}/open-tickets`,
        query: { page: n },
      });
      return ok({
        items: res.data.items.map((i) => ({ ticketId: i.id, version: i.updatedAt })),
        ...(res.data.more ? { nextPage: String(n + 1) } : {}),
      });
    } catch (e) {
      return err(isConnectorError(e) ? e : new ConnectorError('internal', String(e)));
    }
  },
  callsPerEvaluation: 1,
} satisfies PsaConnector<TestSettings>;
