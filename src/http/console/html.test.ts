import { describe, expect, it } from 'vitest';

import { html, jsonIsland, raw } from './html.js';

describe('console HTML builder', () => {
  it('escapes interpolated PSA data, keeps trusted fragments', () => {
    const title = '<img src=x onerror=alert(1)> & "quotes" \'too\'';
    expect(html`<p title="${title}">${title}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39;">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39;</p>',
    );
    expect(html`<ul>${['a', '<b>'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe(
      '<ul><li>a</li><li>&lt;b&gt;</li></ul>',
    );
    expect(html`${raw('<br>')}${null}${undefined}${false}${0}`.value).toBe('<br>0');
  });

  it('a JSON data island cannot be closed by its content', () => {
    const island = jsonIsland('d', { note: '</script><script>alert(1)</script>' }).value;
    expect(island.match(/<\/script>/g)).toHaveLength(1);
    expect(JSON.parse(island.slice(island.indexOf('>') + 1, island.lastIndexOf('<')))).toEqual({
      note: '</script><script>alert(1)</script>',
    });
  });
});
