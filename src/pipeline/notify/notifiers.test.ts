import { describe, expect, it } from 'vitest';

import { slackEscape } from './notifiers.js';

describe('slackEscape', () => {
  it('turns &, < and > into entities, so no mention, channel ping or link survives', () => {
    expect(slackEscape('<!channel> <@U1> <https://evil.example|Reset> & more')).toBe('&lt;!channel&gt; &lt;@U1&gt; &lt;https://evil.example|Reset&gt; &amp; more');
    expect(slackEscape('&lt; already')).toBe('&amp;lt; already');
    expect(slackEscape('plain *text*')).toBe('plain *text*');
  });
});
