import { describe, expect, it } from 'vitest';

import { parseChangeText, replayBackwards } from './history.js';

type T = { team: string; prio: number };
const set =
  <K extends keyof T>(k: K, v: T[K]) =>
  (after: T): T => ({ ...after, [k]: v });

describe('replayBackwards', () => {
  it('rebuilds one state per change instant from the current ticket, oldest first, and stops at `until`', () => {
    const current: T = { team: 'T3', prio: 1 };
    const changes = [
      { at: '2026-11-30T15:00:00Z', undo: set('team', 'T1') }, // T1 → T2
      { at: '2026-11-30T14:30:00Z', undo: set('prio', 3) }, // 3 → 2
      { at: '2026-11-30T15:00:00Z', undo: set('prio', 2) }, // 2 → 1, same instant as the team move
      { at: '2026-12-02T09:00:00Z', undo: set('team', 'T2') }, // after the window: T2 → T3
    ];
    expect(replayBackwards(current, '2026-11-30T14:00:00Z', changes, '2026-12-01T00:00:00Z')).toEqual([
      { at: '2026-11-30T14:00:00.000Z', raw: { team: 'T1', prio: 3 } },
      { at: '2026-11-30T14:30:00.000Z', raw: { team: 'T1', prio: 2 } },
      { at: '2026-11-30T15:00:00.000Z', raw: { team: 'T2', prio: 1 } },
    ]);
  });

  it('ignores changes dated before creation and returns the current ticket when nothing changed', () => {
    expect(
      replayBackwards(
        { team: 'T1', prio: 3 },
        '2026-11-30T14:00:00Z',
        [{ at: '2026-11-29T00:00:00Z', undo: set('team', 'X') }],
        '2026-12-01T00:00:00Z',
      ),
    ).toEqual([{ at: '2026-11-30T14:00:00.000Z', raw: { team: 'T1', prio: 3 } }]);
  });
});

describe('parseChangeText', () => {
  it('reads changes written in words, one per line or `;`-separated; other text is not a change', () => {
    expect(
      parseChangeText(
        'Status changed from "New" to "In Progress"\nOwner has been changed from "" to "t2.frank".; Priority was changed from "Priority 3 - Normal Response" to "Priority 1 - Emergency Response"',
      ),
    ).toEqual([
      { label: 'Status', from: 'New', to: 'In Progress' },
      { label: 'Owner', from: '', to: 't2.frank' },
      { label: 'Priority', from: 'Priority 3 - Normal Response', to: 'Priority 1 - Emergency Response' },
    ]);
    expect(parseChangeText('Note added by jsmith')).toEqual([]);
  });
});
