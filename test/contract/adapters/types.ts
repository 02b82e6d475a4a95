import type { AnyConnector, ConnectorContext, WebhookRequest, WritePlan } from '../../../src/contract/index.js';

/**
 * What the conformance suite (test/contract/conformance.ts) needs to know about one PSA: a small adapter over that
 * PSA's fake (the same fakes the connector's integration tests use, on loopback, no Redis). Adding a connector =
 * one adapter file here + one line in `adapters/index.ts` (docs/adding-a-connector.md#conformance).
 */
export interface ConformanceAdapter {
  /** The connector's kind (`connectwise`, …; `template` for the skeleton). */
  name: string;
  connector: AnyConnector;
  /** Starts a fresh fake PSA with one open ticket on the first tier, owned by a human. */
  start(): Promise<FakePsa>;
}

export interface FakePsa {
  /** A context for the connector against this fake; `sleep` records Retry-After waits instead of sleeping. */
  ctx(sleep: (ms: number) => Promise<void>): ConnectorContext;
  /** The seeded ticket's id (canonical). */
  ticketId: string;
  /** An id the PSA does not know. */
  missingTicketId: string;
  /** The next read of the seeded ticket is answered with `status` (and headers) instead. */
  answerNextTicketRead(status: number, headers?: Record<string, string>): void;
  /** How many times the seeded ticket was read. */
  ticketReads(): number;
  /** The next ticket write answers 200 without applying anything (the false 200). */
  falseNextWrite(): void;
  /** A reassignment to the second tier (group and owner both differ from the seeded ticket). */
  reassign(): NonNullable<WritePlan['reassign']>;
  /** A reassignment whose group is the ticket's own: only the owner differs. */
  ownerOnly(): NonNullable<WritePlan['reassign']>;
  /** The field names each ticket write sent (write bodies, without the ticket id). */
  ticketWriteFields(): string[][];
  /** Posts that created a note, and notes on the seeded ticket carrying `marker`. */
  notePosts(): number;
  notesCarrying(marker: string): number;
  /** Our public webhook URL, and how many registrations the PSA holds for it. */
  callbackUrl: string;
  registrations(): number;
  /** A verified-looking delivery about the seeded ticket made by our own API identity. */
  echoDelivery(): WebhookRequest;
  /** A delivery about the seeded ticket whose id is written as `id` (e.g. `"0004242"`), by a human. */
  deliveryWithId(id: string): WebhookRequest;
  close(): Promise<void>;
}

/** A webhook request around a JSON body. */
export function jsonDelivery(body: unknown, headers: Record<string, string> = {}): WebhookRequest {
  const rawBody = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    headers: { 'content-type': 'application/json', ...headers },
    rawBody,
    json: JSON.parse(rawBody.toString()) as unknown,
    query: {},
    ip: '127.0.0.1',
  };
}
