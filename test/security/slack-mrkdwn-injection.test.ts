import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ingestEvent, startTestPipeline, testConfig, waitFor } from '../helpers/test-pipeline.js';
import { FakePsa } from '../helpers/test-psa.js';

// Issue 12 item 9: ticket titles, company names and statuses are written by customers and end users. Put into a
// Slack message unescaped, `<!channel>` pages the whole channel and `<https://evil|Reset your password>` renders
// as a trusted-looking link. Slack's rule: escape `&`, `<` and `>` in text taken from elsewhere. The real pipeline
// (BullMQ, real Redis) over the fake PSA, with the `managers` notifier configured as a Slack incoming webhook.

let redis: TestRedis;
let fake: FakePsa;
let p: Awaited<ReturnType<typeof startTestPipeline>>;

beforeAll(async () => {
  redis = await startRedis();
  fake = new FakePsa();
  await fake.start();
  const config = testConfig({ psaUrl: fake.url });
  config.notifiers = { managers: { kind: 'slack', url: `${fake.url}/notify/managers` } };
  p = await startTestPipeline({ redisUrl: redis.url, config });
});
afterAll(async () => {
  await p?.close();
  await fake?.stop();
  await redis?.close();
});

interface SlackBody {
  text: string;
  blocks: { text: { type: string; text: string } }[];
}

describe('Slack notifier payloads', () => {
  it('a ticket title with <!channel>, <url|text> and & is escaped, never a mention or a link', async () => {
    fake.addTicket({
      id: 'sl1',
      title: 'ransomware <!channel> <!here> <@U024BE7LH> <https://evil.example/reset|Reset your password> & <b>',
      companyName: 'Evil <!everyone> & Co <mailto:x@evil.example|IT>',
      queue: '1',
    });
    await ingestEvent(p, { eventId: 'sl-1', ticketId: 'sl1', action: 'updated' }, 'sl');
    const delivery = await waitFor(() => fake.notifications.find((n) => n.name === 'managers'), 20_000);
    const body = delivery.body as SlackBody;
    const texts = [body.text, ...body.blocks.map((b) => b.text.text)];
    for (const text of texts) {
      // No Slack control sequence survives: every `<` and `>` left is one we did not take from the ticket.
      expect(text).not.toMatch(/<[!@#]/);
      expect(text).not.toMatch(/<(https?|mailto):/);
      expect(text).not.toMatch(/[<>]/);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(body.text).toContain('&lt;!channel&gt;');
    expect(body.text).toContain('&lt;https://evil.example/reset|Reset your password&gt; &amp; &lt;b&gt;');
    expect(body.blocks[0]!.text.text).toContain('Evil &lt;!everyone&gt; &amp; Co');
    // Our own formatting is kept: the rule name in bold.
    expect(body.blocks[0]!.text.text).toMatch(/^\*emergency\*/);
  });
});
