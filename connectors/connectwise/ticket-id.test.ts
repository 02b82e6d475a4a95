import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import type { ConnectorContext, InstanceInfo, Logger, WebhookRequest } from '../../src/contract/index.js';

import { normalize } from './normalize.js';
import { settingsSchema } from './schemas.js';
import type { ConnectWiseSettings } from './schemas.js';
import { parseWebhook } from './webhook.js';

// Issue 12 item 3: ConnectWise may write ticket 1234 as "0001234" or " 1234 "; the connector hands the service the
// canonical id (src/contract/ids.ts) so that one ticket has one state key.

const raw = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
};
const settings = settingsSchema.parse({
  connection: {
    site: 'api-na.myconnectwise.net',
    companyId: 'acme',
    publicKey: 'p',
    privateKey: 'k',
    clientId: 'c',
    apiMember: 'escalator-api',
  },
  webhook: { keyUrlHosts: ['na.myconnectwise.net'] },
});
const instance: InstanceInfo = {
  id: 'acme-cw',
  kind: 'connectwise',
  policy: 'standard',
  mode: 'enforce',
  mapping: { tiers: {}, groups: {}, priorities: {}, statuses: {}, members: {}, vipCompanies: [] },
  rateLimit: { requests: 600, per: 60_000 },
};
const ctx = { instance, settings, log: quiet } as unknown as ConnectorContext<ConnectWiseSettings>;

async function parsedId(id: unknown): Promise<string | undefined> {
  const json = { ...(JSON.parse(raw('callback-ticket-updated.json')) as Record<string, unknown>), ID: id };
  const req: WebhookRequest = {
    headers: {},
    rawBody: Buffer.from(JSON.stringify(json)),
    json,
    query: {},
    ip: '203.0.113.7',
  };
  const res = await parseWebhook(ctx, req);
  return res.ok && 'action' in res.value ? res.value.ticketId : undefined;
}

describe('ConnectWise ticket ids are canonical', () => {
  it('reads a zero-padded, spaced or numeric callback ID as the same ticket id', async () => {
    expect(await parsedId(1234)).toBe('1234');
    expect(await parsedId('0001234')).toBe('1234');
    expect(await parsedId(' 1234 ')).toBe('1234');
  });

  it('normalizes a ticket whose id comes back zero-padded to the canonical ref id', () => {
    const t = normalize(
      {
        ticket: {
          id: '0001234',
          summary: 'x',
          _info: { dateEntered: '2026-01-27T15:00:00Z', lastUpdated: '2026-01-27T15:00:00Z' },
        },
        notes: [],
      },
      instance,
      settings,
    );
    expect(t.ref.id).toBe('1234');
  });
});
