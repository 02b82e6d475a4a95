import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { parseIndexLine, parseTimelineLine, timelineJsonSchema } from './timeline.js';
import type { IndexTimeline, Timeline } from './timeline.js';

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

describe('parseIndexLine (the first pass of a backtest: the index fields only)', () => {
  /** The index's view of a timeline: what cross-ticket.ts reads, instants as epoch ms. */
  const view = (t: IndexTimeline | Timeline) => ({
    instance: t.instance,
    snapshots: t.snapshots.map((s) => ({
      at: Date.parse(s.at),
      id: s.ticket.ref.id,
      created: Date.parse(s.ticket.createdAt),
      company: s.ticket.company.id,
      category: s.ticket.category,
      status: s.ticket.status.category,
      owner: s.ticket.owner,
    })),
  });
  const full = (l: string) => {
    const r = parseTimelineLine(l, 1);
    if (!r.ok) throw new Error(r.error);
    return view(r.value);
  };
  const normalized = {
    ref: { instance: 'acme-cw', psa: 'connectwise', id: '7' },
    title: 'x',
    status: { id: '1', name: 'New', category: 'open' },
    priority: { id: '3', name: 'P3', level: 3 },
    location: {},
    tier: 'T1',
    owner: { id: 'sam', name: 'Sam' },
    company: { id: '19', name: 'Acme', vip: false },
    category: ['Hardware', 'Printer'],
    createdAt: '2026-11-24T14:00:00.000Z',
    updatedAt: '2026-11-24T14:00:00.000Z',
    version: '1',
  };

  it('reads what the full parse gives, for normalized and for lenient (shorthand) lines', () => {
    for (const t of [normalized, ticket, { ...ticket, owner: 'sam', category: 'Hardware/Printer' }]) {
      const l = line({ instance: 'acme-cw', snapshots: [{ at: '2026-11-24T14:00:00Z', ticket: t }] });
      const got = parseIndexLine(l, 1);
      expect(got).toBeDefined();
      expect(view(got!)).toEqual(full(l));
    }
  });

  it('a createdAt with a fraction of a second: the lenient path floors it, so the index takes the full parse', () => {
    // Shorthand priority: not the normalized model, so the full parse takes the lenient path (whole seconds).
    const t = { ...normalized, priority: 'P3', createdAt: '2026-11-24T14:00:00.500Z' };
    const l = line({ instance: 'acme-cw', snapshots: [{ at: '2026-11-24T14:00:01Z', ticket: t }] });
    expect(full(l).snapshots[0]!.created).toBe(Date.parse('2026-11-24T14:00:00Z'));
    expect(view(parseIndexLine(l, 1)!)).toEqual(full(l));
    // The normalized model keeps the fraction, and so does the index.
    const n = line({
      instance: 'acme-cw',
      snapshots: [{ at: '2026-11-24T14:00:01Z', ticket: { ...t, priority: normalized.priority } }],
    });
    expect(view(parseIndexLine(n, 1)!)).toEqual(full(n));
    expect(full(n).snapshots[0]!.created).toBe(Date.parse('2026-11-24T14:00:00.500Z'));
  });

  it('an invalid line gives nothing (the second pass names it)', () => {
    expect(parseIndexLine('{', 1)).toBeUndefined();
    expect(parseIndexLine(line({ instance: 'a', snapshots: [{ at: 'yesterday', ticket }] }), 1)).toBeUndefined();
  });
});
