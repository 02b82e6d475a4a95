import type { z } from 'zod';

import type { FieldsMapping, HandoffSection, IdOrName, InstanceMode, Location, Mapping, RateLimit } from './config.js';
import type { ConnectorError } from './errors.js';
import type { HistoryPage, HistoryWindow } from './history.js';
import type { LocationKeySpec } from './location.js';
import type { Result } from './result.js';
import type { PsaKind, Ticket } from './ticket.js';

// ------------------------------------------------------------------ what the service hands a connector

/** pino-compatible logger subset. Log objects, never secrets (they are redacted, but do not rely on it). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute URL. Never followed across redirects: a 3xx fails with `redirect_refused`. */
  url: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body (sent with `Content-Type: application/json`). */
  json?: unknown;
  /** Form body (`application/x-www-form-urlencoded`), e.g. OAuth2 token requests. */
  form?: Record<string, string>;
  /** @defaultValue 10_000 ms (kept below the BullMQ lock duration) */
  timeoutMs?: number;
  /**
   * Safe to repeat after an ambiguous failure (GET, PATCH/PUT of absolute values). Only idempotent requests are
   * retried on network errors, timeouts and 5xx; every request waits out 429/503 `Retry-After`.
   * @defaultValue true for GET, false otherwise
   */
  idempotent?: boolean;
  /** Counts against the instance's shared rate budget. @defaultValue true */
  rateLimited?: boolean;
  /** Reclassify a non-2xx answer (e.g. Autotask business-rule 500s → `validation`). */
  classify?: (status: number, body: unknown) => ConnectorError | undefined;
  /** @defaultValue 5 MiB */
  maxResponseBytes?: number;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the answer is JSON, else the text. */
  data: T;
}

export interface SafeFetchOptions {
  /** Allowed hosts (https only, exact match) or exact origins such as `http://127.0.0.1:9101`. */
  allow: readonly string[];
  /** @defaultValue 2_000 */
  timeoutMs?: number;
  /** @defaultValue 65_536 */
  maxBytes?: number;
}

export interface HttpClient {
  /**
   * Calls the instance's PSA: rate-limited (shared by all workers), timed out, retried with jittered backoff when
   * idempotent. Resolves for 2xx; rejects with a `ConnectorError` otherwise (401/403 `psa_auth`, 404/410
   * `not_found`, 429 `rate_limited`, 5xx `psa_unavailable`, other 4xx `validation`, 3xx `redirect_refused`).
   */
  request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>>;
  /**
   * SSRF-safe GET of a URL taken from a webhook body (ConnectWise `Metadata.key_url`): allow-listed host, https,
   * no credentials/fragment, non-unicast addresses refused unless the origin is allow-listed, no redirects,
   * short timeout, small size cap. Errors: `denied_url`, `redirect_refused`, `timeout`, `network`, `key_unavailable`.
   */
  safeGet(url: string, options: SafeFetchOptions): Promise<Result<{ status: number; text: string }, ConnectorError>>;
}

/** A small shared cache (Redis-backed in the service: shared by workers and API replicas). Values are JSON. */
export interface SharedCache {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The PSA-independent part of one configured instance. */
export interface InstanceInfo {
  id: string;
  kind: PsaKind;
  policy: string;
  mode: InstanceMode;
  mapping: Mapping;
  /** Effective rate limit (instance override or the connector default). */
  rateLimit: RateLimit;
  /** `fields:`: where environment, urgency, impact and affected systems come from (a standard field or a UDF). */
  fields?: FieldsMapping;
}

export interface ConnectorContext<S = unknown> {
  instance: InstanceInfo;
  /** The connector's own settings (`connection`, `webhook`, `notes`, …) as parsed by its `settingsSchema`. */
  settings: S;
  http: HttpClient;
  log: Logger;
  clock: { now(): Date };
  cache: SharedCache;
}

// ------------------------------------------------------------------ inbound

export interface WebhookRequest {
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** The exact bytes received: signatures are computed over these, never over re-serialized JSON. */
  rawBody: Buffer;
  /** The body parsed with prototype-poisoning protection and a depth limit; undefined when it is not JSON. */
  json: unknown;
  query: Record<string, string | undefined>;
  ip: string;
  /** The route's sub-path: '' for `/webhooks/:id`, 'deactivated' for the Autotask deactivation URL. */
  path?: string;
}

export interface WebhookEvent {
  ticketId: string;
  action: 'created' | 'updated' | 'deleted';
  /** Unique per delivery of one change (used for the ≥ 72 h dedupe key). */
  eventId: string;
  /** Who made the change in the PSA (member identifier / resource id / agent id), when known. */
  actor?: string;
  /** PSA last-modified instant or sequence, when the body carries it. */
  version?: string;
}
export type ParsedWebhook =
  WebhookEvent | { ignore: 'echo' | 'entity_type' | 'action'; eventId?: string; ticketId?: string };

// ------------------------------------------------------------------ reading

/** What `fetchTicket` returns: the PSA's JSON, untouched, plus what normalizing needs (notes, lookups). */
export interface FetchedTicket {
  ticket: unknown;
  notes: unknown[];
  /** Connector-specific lookups (status names, picklists, our API identity…), already fetched and cached. */
  lookups?: Record<string, unknown>;
  /**
   * The PSA still answers for the ticket but flags it deleted or merged into another ticket (ConnectWise
   * `mergedParentTicket`, Halo `merged_into_id`). A `deleted` webhook is believed only when the fetch confirms it:
   * `not_found` (404/410) or this flag.
   */
  gone?: 'deleted' | 'merged';
}

export interface ChangedPage {
  items: { ticketId: string; version?: string }[];
  /** Opaque token for the next page; absent on the last page. */
  nextPage?: string;
  /** The high-water mark seen in this page (max version); the pipeline advances its cursor after success. */
  highWater?: string;
}

/**
 * Someone working a ticket in a way its notes do not show (a time entry), for handoff pickup (`notPickedUpFor`):
 * docs/follow-through.md "Handoff pickup".
 */
export interface TicketActivity {
  /** ISO instant the activity was recorded. */
  at: string;
  /** Who, in the terms of `Ticket.owner.id` (ConnectWise member identifier, Autotask resource id, Halo agent id). */
  author: string;
  kind: 'time_entry';
}

// ------------------------------------------------------------------ writing

export interface NoteWrite {
  actionId: string;
  /** Short marker embedded in the note text (e.g. `[esc:7f3a2c]`): how retries recognise a note already posted. */
  marker: string;
  visibility: 'internal' | 'customer';
  text: string;
}

export interface WritePlan {
  ticketId: string;
  /** The ticket as just re-read (normalized and raw): writes send only fields that differ from it. */
  current: Ticket;
  fetched: FetchedTicket;
  reassign?: {
    actionId: string;
    location: Location;
    tier: string | null;
    /** The member's entry in `mapping.members` (ConnectWise: identifier string; Autotask `{resourceID, roleID}`;
     *  Halo `{agent_id}`), or null to leave the owner unchanged. */
    owner: unknown;
    ownerName?: string;
  };
  priority?: { actionId: string; id: IdOrName; name: string };
  notes: NoteWrite[];
  /** An earlier attempt may have written already (retry after an ambiguous failure): check markers first. */
  verify: boolean;
}

export interface ActionResult {
  actionId: string;
  action: 'reassign' | 'priority' | 'note';
  status: 'applied' | 'skipped' | 'failed';
  error?: { code: string; message: string };
  remoteId?: string;
}

export interface RegistrationResult {
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  /** Human steps when the API user lacks the permission (Halo). */
  manualSteps?: string[];
}

export type WebhookState = 'unknown' | 'active' | 'inactive' | 'missing' | 'deactivation_reported';

// ------------------------------------------------------------------ the interface

/** See `PsaConnector.settingsWarnings`. */
export interface SettingsWarning {
  path: (string | number)[];
  message: string;
}

export interface PsaConnector<S = unknown> {
  kind: PsaKind;
  /** Human name for logs and docs. */
  displayName: string;
  /** Validates the instance's `connection`, `webhook`, `notes` and connector-only mapping keys. */
  settingsSchema: z.ZodType<S>;
  /** Schema of one `mapping.members` value. */
  memberSchema: z.ZodType;
  /** Members without a `mapping.members` entry can't be assigned (Autotask, Halo). */
  membersRequireMapping: boolean;
  /**
   * Settings that load but will not work as expected or weaken a guarantee (check-config and `serve` print one
   * warning line each): `path` is relative to the instance, e.g. `['connection', 'apiMember']`. Pure.
   */
  settingsWarnings?(settings: S): SettingsWarning[];
  /** How mapping location keys read the normalized ticket. */
  locationKeys: LocationKeySpec;
  /** Default outbound budget (docs/spec.md §4). */
  rateLimitDefaults: RateLimit;
  /** Checks authenticity on the raw bytes. Errors: `unauthorized`, `bad_request`, `key_unavailable`. */
  verifyWebhook(ctx: ConnectorContext<S>, req: WebhookRequest): Promise<Result<void, ConnectorError>>;
  /** Reads the verified body (echoes of our own writes → `{ignore: 'echo'}`). Errors: `bad_request`. */
  parseWebhook(ctx: ConnectorContext<S>, req: WebhookRequest): Promise<Result<ParsedWebhook, ConnectorError>>;
  /** Fetches the ticket and its recent notes. `not_found` when gone (404/410); `gone` when the PSA flags it. */
  fetchTicket(ctx: ConnectorContext<S>, ticketId: string): Promise<Result<FetchedTicket, ConnectorError>>;
  /** Pure: PSA JSON + instance → normalized ticket. Never throws on unknown or missing fields. */
  normalize(fetched: FetchedTicket, instance: InstanceInfo, settings: S): Ticket;
  /** Reassign + priority in one write, read-back, then notes (idempotent by marker). */
  applyActions(ctx: ConnectorContext<S>, plan: WritePlan): Promise<ActionResult[]>;
  /** Creates or repairs the PSA's webhook registration pointing at `callbackUrl`. */
  registerWebhooks(ctx: ConnectorContext<S>, callbackUrl: string): Promise<Result<RegistrationResult, ConnectorError>>;
  /** Reads the registration state without changing it. */
  webhookState(ctx: ConnectorContext<S>, callbackUrl: string): Promise<Result<WebhookState, ConnectorError>>;
  /** Tickets changed since `since` (ISO instant), one page at a time. */
  listChangedSince(
    ctx: ConnectorContext<S>,
    since: string,
    page?: string,
  ): Promise<Result<ChangedPage, ConnectorError>>;
  /**
   * Every open ticket (the PSA's open-only listing), one page at a time: the backfill of an instance's first day.
   * Without it the backfill lists with `listChangedSince` from the epoch and evaluations drop closed tickets.
   */
  listOpen?(ctx: ConnectorContext<S>, page?: string): Promise<Result<ChangedPage, ConnectorError>>;
  /**
   * Handoff sections this instance can fill from its PSA with its settings and `fields:` mapping (check-config warns
   * when `handoff.required` names another one). Absent: not declared (no warning).
   */
  handoffFillable?(instance: InstanceInfo, settings: S): readonly HandoffSection[];
  /**
   * Activity on the ticket after `since` (ISO instant) that its notes do not carry — time entries — so a handoff whose
   * new owner only logged time counts as picked up. Called only when a `notPickedUpFor` check falls due. Absent:
   * pickup sees notes and status changes only.
   */
  readActivity?(
    ctx: ConnectorContext<S>,
    ticketId: string,
    since: string,
  ): Promise<Result<TicketActivity[], ConnectorError>>;
  /**
   * Tickets changed in the window with their snapshots rebuilt from the history the PSA keeps, one page of tickets at
   * a time (`backtest --from-psa`, docs/backtest.md). Raw snapshots: the caller normalizes them with `normalize`.
   * Absent: the PSA's history cannot be read (the backtest refuses `--from-psa` for the instance).
   */
  readHistory?(
    ctx: ConnectorContext<S>,
    window: HistoryWindow,
    page?: string,
  ): Promise<Result<HistoryPage, ConnectorError>>;
  /** PSA calls one evaluation reads with (ticket, notes, lookups…): sizes the backfill's share of the budget. @defaultValue 3 */
  callsPerEvaluation?: number;
}

/** Loosely typed connector as stored in the registry (each connector keeps its own settings type inside). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry erases each connector's settings type
export type AnyConnector = PsaConnector<any>;
