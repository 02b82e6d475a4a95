import { createHmac, timingSafeEqual } from 'node:crypto';

import { z } from 'zod';

import { ConnectorError, err, ok } from '../../src/contract/index.js';
import type { PsaConnector, RegistrationResult, Result, WebhookRequest } from '../../src/contract/index.js';
import { PipelineUnavailableError } from '../../src/pipeline/types.js';
import type { AuditEntry, DeadLetter, EscalationQuery, InstanceStatus } from '../../src/store/models.js';
import type {
  IngestRequest,
  IngestResult,
  Pipeline,
  ReadinessReport,
  ReadModels,
  TicketView,
} from '../../src/pipeline/types.js';

// In-memory stand-ins for the HTTP layer's seams (Pipeline, ReadModels) and a tiny HMAC connector, so route tests
// can assert exactly what reached the pipeline — and that nothing did when a request fails.

/** Records every call; `down` makes every call throw like Redis being unreachable. */
export class FakePipeline implements Pipeline {
  readonly events: IngestRequest[] = [];
  readonly deactivations: string[] = [];
  readonly reconciles: string[] = [];
  /** Every method call, in order (also the failed ones): "no state change" means this stays empty. */
  readonly calls: string[] = [];
  down = false;
  readinessReport: ReadinessReport = { redis: true, workers: true };
  private readonly seen = new Set<string>();

  private enter(name: string): void {
    this.calls.push(name);
    if (this.down) throw new PipelineUnavailableError('Redis is not reachable (fake)');
  }

  async ingest(req: IngestRequest): Promise<IngestResult> {
    this.enter('ingest');
    const eventId = `${req.instanceId}:${req.event.eventId}`;
    if (this.seen.has(eventId)) return { eventId, duplicate: true };
    this.seen.add(eventId);
    this.events.push(req);
    return { eventId, duplicate: false };
  }

  async reportDeactivation(instanceId: string): Promise<void> {
    this.enter('reportDeactivation');
    this.deactivations.push(instanceId);
  }

  async enqueueReconcile(instanceId: string): Promise<{ jobId: string }> {
    this.enter('enqueueReconcile');
    this.reconciles.push(instanceId);
    return { jobId: `reconcile:${instanceId}:${this.reconciles.length}` };
  }

  async readiness(): Promise<ReadinessReport> {
    if (this.down) return { redis: false, workers: this.readinessReport.workers === null ? null : false };
    return this.readinessReport;
  }

  async close(): Promise<void> {}
}

export class FakeReadModels implements ReadModels {
  tickets = new Map<string, TicketView>();
  audit: AuditEntry[] = [];
  letters: DeadLetter[] = [];
  statuses: InstanceStatus[] = [];
  readonly retried: string[] = [];
  readonly queries: EscalationQuery[] = [];

  async ticket(instanceId: string, ticketId: string): Promise<TicketView | null> {
    return this.tickets.get(`${instanceId}/${ticketId}`) ?? null;
  }

  async escalations(query: EscalationQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    this.queries.push(query);
    const start = query.cursor === undefined ? 0 : Number(query.cursor);
    const items = this.audit
      .filter((a) => !query.instance || a.instanceId === query.instance)
      .slice(start, start + query.limit);
    const next = start + query.limit;
    return { items, nextCursor: next < this.audit.length ? String(next) : null };
  }

  async deadLetters(): Promise<{ items: DeadLetter[] }> {
    return { items: this.letters };
  }

  async retryDeadLetter(id: string): Promise<boolean> {
    if (!this.letters.some((l) => l.id === id)) return false;
    this.retried.push(id);
    return true;
  }

  async instances(): Promise<InstanceStatus[]> {
    return this.statuses;
  }
}

// ------------------------------------------------------------------ a tiny HMAC connector

export const SIGNATURE_HEADER = 'x-test-signature';

/** base64 HMAC-SHA256 over the exact bytes (like ConnectWise, minus the key fetch). */
export function signBody(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

const settingsSchema = z.object({
  secret: z.string().min(1),
  /** Simulates a signing key that can't be fetched (ConnectWise key_url down). */
  keyUnavailable: z.boolean().default(false),
  /** Simulates a connector bug: verify throws with a message that must never reach the client. */
  explode: z.string().optional(),
});
export type HmacSettings = z.infer<typeof settingsSchema>;

const unauthorized = (why: string) => err(new ConnectorError('unauthorized', why));

function verify(settings: HmacSettings, req: WebhookRequest): Result<void, ConnectorError> {
  if (settings.explode) throw new Error(settings.explode);
  if (settings.keyUnavailable) return err(new ConnectorError('key_unavailable', 'signing key could not be fetched'));
  const given = req.headers[SIGNATURE_HEADER];
  if (!given || !/^[A-Za-z0-9+/]+={0,2}$/.test(given)) return unauthorized('missing or malformed signature');
  const a = Buffer.from(given, 'base64');
  const b = createHmac('sha256', settings.secret).update(req.rawBody).digest();
  return a.length === b.length && timingSafeEqual(a, b) ? ok(undefined) : unauthorized('signature mismatch');
}

const Body = z.object({
  ticketId: z.union([z.string().min(1), z.number().int()]).transform(String),
  eventId: z.string().min(1),
  action: z.enum(['created', 'updated', 'deleted']).default('updated'),
  actor: z.string().optional(),
  entity: z.string().default('ticket'),
});

const notUsed = (what: string) => new ConnectorError('internal', `test connector: ${what} is not used by HTTP tests`);

/** The registration result `registerWebhooks` answers (tests change it). */
export const registration: { result: Result<RegistrationResult, ConnectorError>; calls: string[] } = {
  result: ok({ created: 1, updated: 0, unchanged: 0, removed: 0 }),
  calls: [],
};

export const hmacConnector = {
  kind: 'connectwise',
  displayName: 'HMAC test connector',
  settingsSchema,
  memberSchema: z.string(),
  membersRequireMapping: false,
  locationKeys: { board: { field: 'queue', by: 'id' }, team: { field: 'team', by: 'id' } },
  rateLimitDefaults: { requests: 100, per: 60_000 },
  verifyWebhook: async (ctx, req) => verify(ctx.settings, req),
  parseWebhook: async (_ctx, req) => {
    const parsed = Body.safeParse(req.json);
    if (!parsed.success) return err(new ConnectorError('bad_request', 'expected {ticketId, eventId}'));
    const { ticketId, eventId, action, actor, entity } = parsed.data;
    if (entity !== 'ticket') return ok({ ignore: 'entity_type' as const, eventId });
    if (actor === 'escalator-api') return ok({ ignore: 'echo' as const, eventId, ticketId });
    return ok({ ticketId, eventId, action, ...(actor === undefined ? {} : { actor }) });
  },
  fetchTicket: async () => err(notUsed('fetchTicket')),
  normalize: () => {
    throw notUsed('normalize');
  },
  applyActions: async () => {
    throw notUsed('applyActions');
  },
  registerWebhooks: async (_ctx, callbackUrl) => {
    registration.calls.push(callbackUrl);
    return registration.result;
  },
  webhookState: async () => ok('active' as const),
  listChangedSince: async () => ok({ items: [] }),
} satisfies PsaConnector<HmacSettings>;
