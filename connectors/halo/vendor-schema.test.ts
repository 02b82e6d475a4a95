import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import {
  checkVendorBody,
  checkVendorQuery,
  checkVendorSchema,
  vendorModel,
} from '../../test/helpers/vendor-schemas/halo.js';
import { assertUpdateBody, buildNote } from './actions.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));

describe('fixtures conform to the vendor models (Faults, Actions)', () => {
  const tickets: [string, unknown][] = [
    ['ticket-full.json', fixture('ticket-full.json')],
    ['ticket-small.json', fixture('ticket-small.json')],
    ['ticket-nulls.json', fixture('ticket-nulls.json')],
    ...(fixture('tickets-list-wrapped.json') as { tickets: unknown[] }).tickets.map((t, i): [string, unknown] => [
      `tickets-list-wrapped[${i}]`,
      t,
    ]),
    ...(fixture('tickets-list-bare.json') as unknown[]).map((t, i): [string, unknown] => [
      `tickets-list-bare[${i}]`,
      t,
    ]),
  ];
  it.each(tickets)('%s is a valid Faults object', (_name, t) => {
    expect(checkVendorSchema(vendorModel('Faults'), t)).toEqual([]);
  });

  it.each((fixture('actions.json') as { actions: unknown[] }).actions.map((a, i): [number, unknown] => [i, a]))(
    'actions[%i] is a valid Actions object',
    (_i, a) => {
      expect(checkVendorSchema(vendorModel('Actions'), a)).toEqual([]);
    },
  );

  it('the checker really rejects what Halo would not recognise', () => {
    expect(checkVendorSchema(vendorModel('Faults'), { id: 1, team_id: 5 })).toEqual([
      '$.team_id: unknown property of Faults',
    ]);
    expect(checkVendorSchema(vendorModel('Faults'), { id: '1' })).toEqual(['$.id: expected integer, got "1"']);
    expect(checkVendorSchema(vendorModel('Faults'), { team: 7 })).toHaveLength(1);
    expect(checkVendorBody('POST /api/Tickets', { id: 1 })).toEqual(['$: expected array']);
    expect(checkVendorBody('POST /api/Actions', [{ ticket_id: 1, who: 'x' }])).toEqual([
      '$[0].who: unknown property of Actions',
    ]);
  });
});

describe('outbound bodies conform to the vendor request schemas', () => {
  it('a reassign + priority + status update (POST /api/Tickets) with the ticket id', () => {
    const body = assertUpdateBody({ id: 4242, team: '2nd Line Support', agent_id: 12, priority_id: 1, status_id: 2 });
    expect(checkVendorBody('POST /api/Tickets', body)).toEqual([]);
    expect(body).toEqual([{ id: 4242, team: '2nd Line Support', agent_id: 12, priority_id: 1, status_id: 2 }]);
  });

  it('private and customer notes (POST /api/Actions)', () => {
    const priv = buildNote({
      ticketId: 4242,
      outcome: 'Private Note',
      text: 'Handoff',
      marker: '[esc:7f3a2c]',
      internal: true,
    });
    const cust = buildNote({
      ticketId: 4242,
      outcome: 'Email User',
      text: 'We escalated [esc:7f3a2d]',
      marker: '[esc:7f3a2d]',
      internal: false,
    });
    expect(checkVendorBody('POST /api/Actions', priv)).toEqual([]);
    expect(checkVendorBody('POST /api/Actions', cust)).toEqual([]);
    expect(priv).toEqual([
      {
        ticket_id: 4242,
        outcome: 'Private Note',
        note: 'Handoff\n\n[esc:7f3a2c]',
        hiddenfromuser: true,
        sendemail: false,
      },
    ]);
    expect(cust).toEqual([
      { ticket_id: 4242, outcome: 'Email User', note: 'We escalated [esc:7f3a2d]', hiddenfromuser: false },
    ]);
  });

  it('the query strings we send use only documented parameters', () => {
    expect(checkVendorQuery('GET /api/Tickets/{id}', { includedetails: 'true', includelastaction: 'false' })).toEqual(
      [],
    );
    expect(checkVendorQuery('GET /api/Actions', { ticket_id: '4242', excludesys: 'true' })).toEqual([]);
    expect(
      checkVendorQuery('GET /api/Tickets', { pageinate: 'true', page_size: '100', page_no: '2', open_only: 'true' }),
    ).toEqual([]);
    expect(checkVendorQuery('GET /api/Tickets', { assigned_to: '37' })).toEqual([
      'GET /api/Tickets?assigned_to: unknown query parameter',
    ]);
  });

  it('the /Actions paging parameters are NOT in the published spec (docs/psa/halo.md §5.1: read as maybe ignored)', () => {
    expect(
      checkVendorQuery('GET /api/Actions', { ticket_id: '4242', pageinate: 'true', page_size: '100', page_no: '2' }),
    ).toEqual([
      'GET /api/Actions?pageinate: unknown query parameter',
      'GET /api/Actions?page_size: unknown query parameter',
      'GET /api/Actions?page_no: unknown query parameter',
    ]);
  });
});
