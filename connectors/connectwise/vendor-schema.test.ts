import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import {
  callbackModel,
  noteModel,
  ticketModel,
  validate,
  validateTicketPatch,
} from '../../test/helpers/vendor-schemas/connectwise.js';

// Fixtures must look like what ConnectWise really sends: checked against the vendor's published models
// (`__fixtures__/vendor-schemas.connectwise.json`, from the public OpenAPI document of ConnectWise PSA 2026.11/2025.8).
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));

describe('fixtures conform to the vendor schema', () => {
  it.each(['service-ticket.json', 'project-ticket.json', 'sparse-ticket.json'])('%s is a Ticket', (name) => {
    expect(validate(ticketModel, fixture(name))).toEqual([]);
  });

  it('notes.json holds ServiceNotes', () => {
    const notes = fixture('notes.json') as unknown[];
    expect(notes.length).toBeGreaterThan(0);
    for (const n of notes) expect(validate(noteModel, n)).toEqual([]);
  });

  it('callbacks.json holds CallbackEntries', () => {
    for (const c of fixture('callbacks.json') as unknown[]) expect(validate(callbackModel, c)).toEqual([]);
  });

  it('the callback Entity is a JSON-encoded Ticket', () => {
    const env = fixture('callback-ticket-updated.json') as { Entity: string };
    expect(typeof env.Entity).toBe('string');
    expect(validate(ticketModel, JSON.parse(env.Entity))).toEqual([]);
  });
});

describe('the validator catches what ConnectWise would reject or silently ignore', () => {
  it('flags unknown properties, wrong types, enums, lengths and nulls', () => {
    expect(validate(ticketModel, { summary: 'x', company: { id: 1 }, boardId: 1 })).toEqual([
      '$.boardId: not a property of Ticket',
    ]);
    expect(validate(ticketModel, { summary: 'x'.repeat(101), company: { id: 'a' } })).toHaveLength(2);
    expect(validate(ticketModel, { summary: 'x', company: { id: 1 }, impact: 'Huge' })).toHaveLength(1);
    expect(validate(ticketModel, { summary: 'x', company: null })).toEqual(['$.company: null is not allowed']);
    expect(validate(noteModel, { text: 'x', internal: true })).toEqual(['$.internal: not a property of ServiceNote']);
    expect(validate(callbackModel, { url: 'u', type: 'ticket', level: 'owner' })).toEqual(['$.objectId: required']);
  });

  it('flags sub-path patches (the false-200 trap), bad ops and values', () => {
    expect(validateTicketPatch([{ op: 'replace', path: 'owner/identifier', value: 'x' }])).toHaveLength(1);
    expect(validateTicketPatch([{ op: 'move', path: 'owner', value: { id: 1 } }])).toHaveLength(1);
    expect(validateTicketPatch([{ op: 'replace', path: 'owner', value: { login: 'x' } }])).toHaveLength(1);
    expect(validateTicketPatch([{ op: 'replace', path: 'Owner', value: { identifier: 'x' } }])).toEqual([]);
    expect(validateTicketPatch({ op: 'replace' })).toEqual(['$: expected array']);
  });
});
