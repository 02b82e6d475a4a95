import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { parseTimelineLine, timelineJsonSchema } from './timeline.js';

const line = (o: unknown) => JSON.stringify(o);
const ticket = {
  title: 'x',
  status: 'open',
  priority: 'P3',
  company: 'Acme',
  createdAt: '2026-11-24T14:00:00Z',
  tier: 'T1',
  ref: { id: '7' },
};

describe('timeline JSONL format', () => {
  it('docs/schemas/timeline.schema.json is generated from the zod schema (npx tsx scripts/gen-timeline-schema.ts)', () => {
    const file = JSON.parse(
      readFileSync(new URL('../../docs/schemas/timeline.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(file).toEqual(JSON.parse(JSON.stringify(timelineJsonSchema())));
  });

  it('parses a line into normalized tickets stamped with the instance', () => {
    const r = parseTimelineLine(line({ instance: 'acme-cw', snapshots: [{ at: '2026-11-24T14:00:00Z', ticket }] }), 1);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.snapshots[0]!.ticket).toMatchObject({
      ref: { id: '7', instance: 'acme-cw' },
      status: { category: 'open' },
      priority: { name: 'P3', level: 3 },
      owner: null,
    });
  });

  it('names the line and the path of a problem', () => {
    expect(parseTimelineLine('{', 3)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^line 3: not valid JSON/),
    });
    expect(parseTimelineLine(line({ instance: 'a', snapshots: [{ at: 'yesterday', ticket }] }), 4)).toEqual({
      ok: false,
      error: 'line 4: snapshots[0].at: Invalid ISO datetime',
    });
    const unordered = {
      instance: 'a',
      snapshots: [
        { at: '2026-11-24T15:00:00Z', ticket },
        { at: '2026-11-24T14:00:00Z', ticket },
      ],
    };
    expect(parseTimelineLine(line(unordered), 5)).toEqual({
      ok: false,
      error: 'line 5: snapshots[1].at: snapshots must be in time order',
    });
    const two = {
      instance: 'a',
      snapshots: [
        { at: '2026-11-24T14:00:00Z', ticket },
        { at: '2026-11-24T15:00:00Z', ticket: { ...ticket, ref: { id: '8' } } },
      ],
    };
    expect(parseTimelineLine(line(two), 6)).toEqual({
      ok: false,
      error: 'line 6: snapshots: every snapshot must be the same ticket (ref.id)',
    });
  });
});
