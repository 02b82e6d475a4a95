import { expect } from 'vitest';

import { canonicalTicketId, markerOf } from '../../src/contract/index.js';
import type { ActionResult, ConnectorContext, ConnectorError, Result, WritePlan } from '../../src/contract/index.js';

import type { ConformanceAdapter, FakePsa } from './adapters/types.js';

/**
 * The behaviour list every connector must show (docs/adding-a-connector.md#conformance), run against each PSA's
 * fake through its adapter. Scenarios read only the contract methods, so a connector passes by behaving, not by
 * being written a certain way. Failures name the connector's own error message (a skeleton says which method is
 * not implemented yet).
 */
export interface Scenario {
  name: string;
  run(adapter: ConformanceAdapter, psa: FakePsa): Promise<void>;
}

/** Harness state a scenario needs: the context (with recorded Retry-After waits). */
export function harness(psa: FakePsa): { ctx: ConnectorContext; waits: number[] } {
  const waits: number[] = [];
  return { ctx: psa.ctx(async (ms) => void waits.push(ms)), waits };
}

function describeError(e: ConnectorError): string {
  return `${e.code}: ${e.message}`;
}

/** The value of an ok result, else a failure naming what the connector said. */
export function okValue<T>(what: string, r: Result<T, ConnectorError>): T {
  if (!r.ok) throw new Error(`${what} failed: ${describeError(r.error)}`);
  return r.value;
}

/** Asserts an expected failure with its code, saying what came instead. */
export function expectCode(what: string, r: Result<unknown, ConnectorError>, code: string): void {
  if (r.ok) throw new Error(`${what}: expected ${code}, got ok ${JSON.stringify(r.value)?.slice(0, 200)}`);
  if (r.error.code !== code) throw new Error(`${what}: expected ${code}, got ${describeError(r.error)}`);
}

/** Asserts action rows, reporting the connector's own errors when one differs. */
function expectRows(
  what: string,
  rows: ActionResult[],
  want: [ActionResult['action'], ActionResult['status'], string?][],
): void {
  const got = rows.map((r) => [r.action, r.status, r.error?.code] as const);
  const ok =
    got.length === want.length &&
    want.every(([a, s, c], i) => got[i]![0] === a && got[i]![1] === s && (c === undefined || got[i]![2] === c));
  if (!ok)
    throw new Error(
      `${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(rows.map((r) => [r.action, r.status, r.error ? `${r.error.code}: ${r.error.message}` : undefined]))}`,
    );
}

async function planFor(
  adapter: ConformanceAdapter,
  ctx: ConnectorContext,
  psa: FakePsa,
  parts: Partial<WritePlan>,
): Promise<WritePlan> {
  const fetched = okValue('fetchTicket', await adapter.connector.fetchTicket(ctx, psa.ticketId));
  const current = adapter.connector.normalize(fetched, ctx.instance, ctx.settings);
  return { ticketId: psa.ticketId, current, fetched, notes: [], verify: false, ...parts };
}

const marker = markerOf('c0ffee1234567890');
const note = (id = 'a-note') => ({
  actionId: id,
  marker,
  visibility: 'internal' as const,
  text: 'Escalated to T2 (conformance).',
});

export const scenarios: Scenario[] = [
  {
    name: 'not_found: a ticket the PSA does not know is `not_found`',
    async run(adapter, psa) {
      const { ctx } = harness(psa);
      expectCode('fetchTicket(missing)', await adapter.connector.fetchTicket(ctx, psa.missingTicketId), 'not_found');
    },
  },
  {
    name: 'redirect refused: a 3xx is never followed (`redirect_refused`, one request)',
    async run(adapter, psa) {
      const { ctx } = harness(psa);
      psa.answerNextTicketRead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      expectCode('fetchTicket(redirected)', await adapter.connector.fetchTicket(ctx, psa.ticketId), 'redirect_refused');
      expect(psa.ticketReads(), 'ticket reads').toBe(1);
    },
  },
  {
    name: '429 waited out: Retry-After is honoured, then the read succeeds',
    async run(adapter, psa) {
      const { ctx, waits } = harness(psa);
      psa.answerNextTicketRead(429, { 'retry-after': '3' });
      okValue('fetchTicket after a 429', await adapter.connector.fetchTicket(ctx, psa.ticketId));
      expect(waits, 'Retry-After waits (ms)').toContain(3000);
      expect(psa.ticketReads(), 'ticket reads').toBe(2);
    },
  },
  {
    name: 'false-200 read-back caught: a write that did not take is `write_not_applied`, and no note follows',
    async run(adapter, psa) {
      const { ctx } = harness(psa);
      const plan = await planFor(adapter, ctx, psa, { reassign: psa.reassign(), notes: [note()] });
      psa.falseNextWrite();
      const rows = await adapter.connector.applyActions(ctx, plan);
      expectRows('applyActions(false 200)', rows, [
        ['reassign', 'failed', 'write_not_applied'],
        ['note', 'failed'],
      ]);
      expect(psa.notePosts(), 'note posts').toBe(0);
    },
  },
  {
    name: 'only changed fields sent: a reassignment within the same group writes the owner alone; nothing changed → no write',
    async run(adapter, psa) {
      const { ctx } = harness(psa);
      const rows = await adapter.connector.applyActions(
        ctx,
        await planFor(adapter, ctx, psa, { reassign: psa.ownerOnly() }),
      );
      expectRows('applyActions(owner only)', rows, [['reassign', 'applied']]);
      const writes = psa.ticketWriteFields();
      expect(writes, 'ticket writes').toHaveLength(1);
      const groupFields = Object.keys(psa.ownerOnly().location);
      expect(
        writes[0]!.filter((f) => groupFields.includes(f)),
        'group fields sent although unchanged',
      ).toEqual([]);
      const again = await adapter.connector.applyActions(
        ctx,
        await planFor(adapter, ctx, psa, { reassign: psa.ownerOnly() }),
      );
      expectRows('applyActions(already in place)', again, [['reassign', 'skipped']]);
      expect(psa.ticketWriteFields(), 'ticket writes').toHaveLength(1);
    },
  },
  {
    name: 'one note per marker: a retried job finds its marker and posts nothing',
    async run(adapter, psa) {
      const { ctx } = harness(psa);
      const first = await adapter.connector.applyActions(ctx, await planFor(adapter, ctx, psa, { notes: [note()] }));
      expectRows('applyActions(note)', first, [['note', 'applied']]);
      const retry = await adapter.connector.applyActions(
        ctx,
        await planFor(adapter, ctx, psa, { notes: [note()], verify: true }),
      );
      expectRows('applyActions(note, retried)', retry, [['note', 'skipped']]);
      expect(psa.notePosts(), 'note posts').toBe(1);
      expect(psa.notesCarrying(marker), `notes carrying ${marker}`).toBe(1);
    },
  },
  {
    name: 'idempotent registration: the second run creates nothing and reports the webhook unchanged',
    async run(adapter, psa) {
      const { ctx } = harness(psa);
      const first = okValue('registerWebhooks', await adapter.connector.registerWebhooks(ctx, psa.callbackUrl));
      expect(first, 'first registration').toMatchObject({ created: 1, updated: 0, removed: 0 });
      const second = okValue(
        'registerWebhooks (again)',
        await adapter.connector.registerWebhooks(ctx, psa.callbackUrl),
      );
      expect(second, 'second registration').toMatchObject({ created: 0, updated: 0, unchanged: 1, removed: 0 });
      expect(psa.registrations(), 'registrations held by the PSA').toBe(1);
      expect(okValue('webhookState', await adapter.connector.webhookState(ctx, psa.callbackUrl)), 'state').toBe(
        'active',
      );
    },
  },
  {
    name: 'echo dropped: a change made by our own API identity is `{ignore: "echo"}`',
    async run(adapter, psa) {
      const { ctx } = harness(psa);
      const parsed = okValue('parseWebhook(echo)', await adapter.connector.parseWebhook(ctx, psa.echoDelivery()));
      expect(parsed, 'parsed echo').toMatchObject({ ignore: 'echo', ticketId: psa.ticketId });
    },
  },
  {
    name: 'canonical ids: `"000<id>"` in a delivery and the fetched ticket both key as the canonical id',
    async run(adapter, psa) {
      const { ctx } = harness(psa);
      const parsed = okValue(
        'parseWebhook(padded id)',
        await adapter.connector.parseWebhook(ctx, psa.deliveryWithId(`000${psa.ticketId}`)),
      );
      expect(parsed, 'parsed delivery').toMatchObject({ ticketId: psa.ticketId });
      expect('ticketId' in parsed ? canonicalTicketId(parsed.ticketId) : undefined, 'canonical').toBe(psa.ticketId);
      const fetched = okValue('fetchTicket', await adapter.connector.fetchTicket(ctx, psa.ticketId));
      expect(adapter.connector.normalize(fetched, ctx.instance, ctx.settings).ref.id, 'normalized ref.id').toBe(
        psa.ticketId,
      );
    },
  },
];
