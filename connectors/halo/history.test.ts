import { describe, expect, it } from 'vitest';

import { replayBackwards } from '../../src/contract/index.js';

import { undoable } from './history.js';

const created = '2026-11-30T14:00:00.000Z';
const current = { id: 1, team: '2nd Line Support', agent_id: 13, status_id: 9, priority_id: 3 };

describe('Halo history: values before a change', () => {
  it('come from the logging action when it records them (the timeline starts at creation)', () => {
    const actions = [
      {
        id: 1,
        outcome: 'Logged',
        datetime: '2026-11-30T14:00:00',
        new_status: 1,
        new_agent: 20,
        new_team: '1st Line Support',
        new_priority: 3,
      },
      { id: 2, outcome: 'Updated', datetime: '2026-11-30T15:00:00', new_team: '2nd Line Support', new_agent: 13 },
      { id: 3, outcome: 'Updated', datetime: '2026-11-30T17:00:00', old_status: 1, new_status: 9 },
    ];
    const { changes, knownFrom, unreadable } = undoable(actions, created);
    expect({ knownFrom, unreadable }).toEqual({ knownFrom: created, unreadable: 0 });
    const states = replayBackwards<Record<string, unknown>>(current, created, changes, '2026-12-01T00:00:00Z');
    expect(states.map((s) => [s.at, s.raw['team'], s.raw['agent_id'], s.raw['status_id']])).toEqual([
      [created, '1st Line Support', 20, 1],
      ['2026-11-30T15:00:00.000Z', '2nd Line Support', 13, 1],
      ['2026-11-30T17:00:00.000Z', '2nd Line Support', 13, 9],
    ]);
  });

  it('are unknown when no earlier action set them: the rebuilt timeline may only start at that change', () => {
    const actions = [
      { id: 1, outcome: 'Logged', datetime: '2026-11-30T14:00:00', note: 'no field values recorded' },
      { id: 2, outcome: 'Updated', datetime: '2026-11-30T15:00:00', new_team: '2nd Line Support' },
      { id: 3, outcome: 'Updated', datetime: '2026-11-30T17:00:00', old_status: 1, new_status: 9 },
    ];
    const { changes, knownFrom, unreadable } = undoable(actions, created);
    expect({ knownFrom, unreadable }).toEqual({ knownFrom: '2026-11-30T15:00:00.000Z', unreadable: 1 });
    expect(changes.map((c) => c.at)).toEqual(['2026-11-30T17:00:00.000Z']);
  });
});
