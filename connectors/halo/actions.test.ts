import { describe, expect, it } from 'vitest';

import {
  assertUpdateBody,
  buildNote,
  fieldsNotApplied,
  resolvePriority,
  resolveStatus,
  resolveTeam,
} from './actions.js';
import type { TicketUpdate } from './actions.js';

describe('assertUpdateBody (POST without id = create, pitfall 8)', () => {
  it.each([0, -1, Number.NaN, 1.5, undefined])('refuses id %s', (id) => {
    expect(() => assertUpdateBody({ id } as unknown as TicketUpdate)).toThrow(/without a valid ticket id/);
  });
  it('wraps a valid update in the array Halo expects', () => {
    expect(assertUpdateBody({ id: 7, team: 'Network' })).toEqual([{ id: 7, team: 'Network' }]);
  });
});

describe('lookups used by writes', () => {
  const teams = [
    { id: 2, name: '2nd Line Support' },
    { id: 5, name: 'Network' },
  ];
  it('resolves team names case-insensitively to the tenant spelling', () => {
    expect(resolveTeam('  network ', teams)).toBe('Network');
    expect(resolveTeam('Networking', teams)).toBeUndefined();
  });
  it('resolves statuses by id or name', () => {
    expect(resolveStatus(3, undefined)).toBe(3);
    expect(resolveStatus('3', undefined)).toBe(3);
    expect(resolveStatus('in progress', [{ id: 2, name: 'In Progress' }])).toBe(2);
    expect(resolveStatus('Nope', [{ id: 2, name: 'In Progress' }])).toBeUndefined();
  });
  it('resolves priority names within the ticket SLA first', () => {
    const rows = [
      { priorityid: 1, slaid: 1, name: 'Critical' },
      { priorityid: 11, slaid: 2, name: 'Critical' },
    ];
    expect(resolvePriority('critical', rows, 2)).toBe(11);
    expect(resolvePriority('critical', rows, 9)).toBe(1);
    expect(resolvePriority(4, rows, 1)).toBe(4);
    expect(resolvePriority('Low', rows, 1)).toBeUndefined();
  });
});

describe('fieldsNotApplied (read-back)', () => {
  it('reports fields whose re-read value differs; team compares case-insensitively, ids as numbers', () => {
    const body = { id: 1, team: 'Network', agent_id: 14, priority_id: 1 };
    expect(fieldsNotApplied(body, { team: 'NETWORK', agent_id: '14', priority_id: 1 })).toEqual([]);
    expect(fieldsNotApplied(body, { team: '1st Line Support', agent_id: 12, priority_id: 1 })).toEqual([
      'team',
      'agent_id',
    ]);
  });
});

describe('buildNote', () => {
  it('adds the marker once', () => {
    expect(
      buildNote({
        ticketId: 1,
        outcome: 'Private Note',
        text: 'x [esc:abcdef]',
        marker: '[esc:abcdef]',
        internal: true,
      })[0].note,
    ).toBe('x [esc:abcdef]');
    expect(
      buildNote({ ticketId: 1, outcome: 'Private Note', text: 'x', marker: '[esc:abcdef]', internal: true })[0].note,
    ).toBe('x\n\n[esc:abcdef]');
  });
});
