import { describe, expect, it } from 'vitest';

import type { HttpClient } from '../../contract/index.js';
import { createAlerter, slackEscape } from './notifiers.js';

describe('slackEscape', () => {
  it('turns &, < and > into entities, so no mention, channel ping or link survives', () => {
    expect(slackEscape('<!channel> <@U1> <https://evil.example|Reset> & more')).toBe(
      '&lt;!channel&gt; &lt;@U1&gt; &lt;https://evil.example|Reset&gt; &amp; more',
    );
    expect(slackEscape('&lt; already')).toBe('&amp;lt; already');
    expect(slackEscape('plain *text*')).toBe('plain *text*');
  });
});

describe('createAlerter', () => {
  it('escapes the alert text for Slack (an alert message can carry PSA text, e.g. a drifted callback URL)', async () => {
    const sent: unknown[] = [];
    const http = {
      request: async (req: { json?: unknown }) => {
        sent.push(req.json);
        return { status: 200, headers: {}, body: '' };
      },
    } as unknown as HttpClient;
    const alert = createAlerter({
      notifiers: { ops: { kind: 'slack', url: 'https://hooks.slack.com/services/x' } } as never,
      http,
    });
    await alert({
      notifier: 'ops',
      instanceId: 'cw-main',
      alert: 'webhook_registration_drift',
      message: 'callback <!channel> now points at <https://evil.example|here>',
      at: '2026-12-07T00:00:00Z',
    });
    expect(sent).toEqual([
      { text: ':warning: cw-main: callback &lt;!channel&gt; now points at &lt;https://evil.example|here&gt;' },
    ]);
  });
});
