import { describe, expect, it } from 'vitest';

import { parseTicket } from './normalize.js';
import { buildPatch, memberTarget, noteBody, notApplied } from './actions.js';
import { callbackTarget, desiredEntry } from './registration.js';
import { markerText, withMarker } from '../../src/contract/index.js';
import {
  callbackModel,
  noteModel,
  validate,
  validateTicketPatch,
} from '../../test/helpers/vendor-schemas/connectwise.js';

const current = parseTicket({
  id: 1393194,
  board: { id: 1, name: 'Service A' },
  status: { id: 17, name: 'In Progress' },
  team: { id: 3, name: 'Tier 1' },
  owner: { id: 150, identifier: 'jsmith', name: 'Jane Smith' },
  priority: { id: 6, name: 'Priority 3' },
});

describe('buildPatch', () => {
  it('replaces whole reference objects, board first, only for fields that differ', () => {
    const ops = buildPatch(current, {
      board: 12,
      status: 341,
      team: 27,
      owner: { identifier: 'tier2.oncall' },
      priority: 4,
    });
    expect(ops).toEqual([
      { op: 'replace', path: 'board', value: { id: 12 } },
      { op: 'replace', path: 'status', value: { id: 341 } },
      { op: 'replace', path: 'team', value: { id: 27 } },
      { op: 'replace', path: 'owner', value: { identifier: 'tier2.oncall' } },
      { op: 'replace', path: 'priority', value: { id: 4 } },
    ]);
    expect(validateTicketPatch(ops)).toEqual([]);
  });

  it('sends nothing for fields already in place (owner compared case-insensitively)', () => {
    expect(buildPatch(current, { board: 1, team: 3, owner: { identifier: 'JSmith' }, priority: 6 })).toEqual([]);
    expect(buildPatch(current, { board: 1, team: 4 })).toEqual([{ op: 'replace', path: 'team', value: { id: 4 } }]);
  });

  it('removes the team when the target location has none', () => {
    const ops = buildPatch(current, { board: 14, status: 500, team: null });
    expect(ops).toEqual([
      { op: 'replace', path: 'board', value: { id: 14 } },
      { op: 'replace', path: 'status', value: { id: 500 } },
      { op: 'remove', path: 'team' },
    ]);
    expect(validateTicketPatch(ops)).toEqual([]);
  });
});

describe('notApplied (read-back)', () => {
  it('lists every target field the re-read ticket does not show', () => {
    const target = { board: 12, status: 341, team: 27, owner: { identifier: 'tier2.oncall' } as const, priority: 4 };
    expect(notApplied(current, target)).toEqual(['board', 'status', 'team', 'owner', 'priority']);
    const after = parseTicket({
      board: { id: 12 },
      status: { id: 341 },
      team: { id: 27 },
      owner: { identifier: 'Tier2.OnCall' },
      priority: { id: 4 },
    });
    expect(notApplied(after, target)).toEqual([]);
    expect(notApplied(parseTicket({ board: { id: 14 }, team: { id: 3 } }), { board: 14, team: null })).toEqual([
      'team',
    ]);
  });
});

describe('memberTarget', () => {
  it('reads identifiers, ids and member objects; rejects garbage', () => {
    expect(memberTarget('erin.t')).toEqual({ identifier: 'erin.t' });
    expect(memberTarget(171)).toEqual({ id: 171 });
    expect(memberTarget({ identifier: 'x' })).toEqual({ identifier: 'x' });
    expect(memberTarget({ id: '9' })).toEqual({ id: 9 });
    for (const bad of [null, undefined, '', 0, -1, {}, []]) expect(memberTarget(bad)).toBeUndefined();
  });
});

describe('note bodies', () => {
  it('internal notes go to the Internal tab without notifications; customer notes to Discussion', () => {
    expect(noteBody('x', 'internal')).toEqual({
      text: 'x',
      detailDescriptionFlag: false,
      internalAnalysisFlag: true,
      resolutionFlag: false,
      processNotifications: false,
    });
    expect(noteBody('x', 'customer')).toEqual({
      text: 'x',
      detailDescriptionFlag: true,
      internalAnalysisFlag: false,
      resolutionFlag: false,
      processNotifications: true,
    });
    expect(validate(noteModel, noteBody('x', 'internal'))).toEqual([]);
    expect(validate(noteModel, noteBody('x', 'customer'))).toEqual([]);
  });

  it('puts the marker in the text exactly once', () => {
    expect(markerText('7f3a2c')).toBe('[esc:7f3a2c]');
    expect(markerText('[esc:7f3a2c]')).toBe('[esc:7f3a2c]');
    expect(withMarker('Handoff', '7f3a2c')).toBe('Handoff\n\n[esc:7f3a2c]');
    expect(withMarker('Handoff [esc:7f3a2c]', '[esc:7f3a2c]')).toBe('Handoff [esc:7f3a2c]');
  });
});

describe('callback registration body', () => {
  it('registers one owner-level ticket callback at our URL with the record-id suffix', () => {
    const entry = desiredEntry('acme-cw', 'https://esc.example/webhooks/acme-cw');
    expect(entry).toMatchObject({
      url: 'https://esc.example/webhooks/acme-cw?recordId=',
      objectId: 1,
      type: 'ticket',
      level: 'owner',
      inactiveFlag: false,
    });
    expect(validate(callbackModel, entry)).toEqual([]);
    expect(validate(callbackModel, { ...entry, description: 'x'.repeat(101) })).toHaveLength(1);
    expect(callbackTarget('https://esc.example/webhooks/a?x=1')).toBe('https://esc.example/webhooks/a?x=1&recordId=');
    expect(callbackTarget('https://esc.example/webhooks/a?recordId=')).toBe('https://esc.example/webhooks/a?recordId=');
  });
});
