import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import type { WebhookEvent } from '../../src/contract/index.js';

import { readWebhook, signAutotaskBody, verifySignature } from './webhook.js';

const raw = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));
const secret = 'enkmoj676nwh8';
const webhook = { secretKey: secret };
const verify = (
  rawBody: Buffer,
  header: string | undefined,
  w: { secretKey: string; previousSecretKey?: string } = webhook,
) => verifySignature(w, { headers: header === undefined ? {} : { 'x-hook-signature': header }, rawBody });
const hmac = (body: Buffer | string, key: string) => `sha1=${createHmac('sha1', key).update(body).digest('base64')}`;

describe('verifySignature', () => {
  const body = raw('webhook-update.body.txt');

  it('accepts the self-generated vector from autotask.md §3', () => {
    expect(signAutotaskBody(body, secret)).toBe('sha1=qmlRybPKzICKvfaruR/bbuWJ50s=');
    expect(verify(body, 'sha1=qmlRybPKzICKvfaruR/bbuWJ50s=').ok).toBe(true);
  });

  it('verifies a body with \\u-escaped accents and & < > over the raw bytes', () => {
    const accents = raw('webhook-accents.body.txt');
    expect(verify(accents, hmac(accents, secret)).ok).toBe(true);
    // Re-serializing the parsed body (what a JSON body parser would hand us) changes the bytes: never verify that.
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(accents.toString('utf8'))));
    expect(reserialized.equals(accents)).toBe(false);
    expect(verify(reserialized, hmac(accents, secret)).ok).toBe(false);
  });

  it('accepts the previous secret during a rotation', () => {
    expect(
      verify(body, hmac(body, 'old-secret-1'), { secretKey: 'new-secret-2', previousSecretKey: 'old-secret-1' }).ok,
    ).toBe(true);
    expect(verify(body, hmac(body, 'old-secret-1'), { secretKey: 'new-secret-2' }).ok).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no prefix', 'qmlRybPKzICKvfaruR/bbuWJ50s='],
    ['sha256 prefix', 'sha256=qmlRybPKzICKvfaruR/bbuWJ50s='],
    ['wrong secret', hmac(raw('webhook-update.body.txt'), 'wrong-secret')],
    ['short', 'sha1=qmlRybPKzICKvfaruR/bb'],
    ['truncated by one char', 'sha1=qmlRybPKzICKvfaruR/bbuWJ50s'],
    ['not base64', 'sha1=!!!!!!!!!!!!!!!!!!!!!!!!!!!='],
    [
      'hex instead of base64',
      `sha1=${createHmac('sha1', secret).update(raw('webhook-update.body.txt')).digest('hex')}`,
    ],
    ['too long', 'sha1=qmlRybPKzICKvfaruR/bbuWJ50s=AAAA'],
  ])('refuses a %s signature as unauthorized', (_name, header) => {
    const r = verify(body, header);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('unauthorized');
  });

  it('refuses a tampered body (one trailing space)', () => {
    const tampered = Buffer.concat([body, Buffer.from(' ')]);
    expect(verify(tampered, hmac(body, secret)).ok).toBe(false);
  });

  it('tolerates surrounding whitespace and prefix case in the header', () => {
    expect(verify(body, '  SHA1=qmlRybPKzICKvfaruR/bbuWJ50s=  ').ok).toBe(true);
  });

  it('signs an empty body too (and checks it)', () => {
    const empty = Buffer.alloc(0);
    expect(verify(empty, hmac(empty, secret)).ok).toBe(true);
    expect(verify(empty, hmac(body, secret)).ok).toBe(false);
  });
});

describe('readWebhook', () => {
  const parse = (text: string | Buffer, apiResourceId?: number) => {
    const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
    return readWebhook(JSON.parse(buf.toString('utf8')), buf, { apiResourceId });
  };
  const event = (r: ReturnType<typeof parse>): WebhookEvent => {
    if (!r.ok || 'ignore' in r.value) throw new Error(`expected an event, got ${JSON.stringify(r)}`);
    return r.value;
  };

  it('canonicalizes the ticket id (zero padding, whitespace) so one ticket has one state key', () => {
    const body = JSON.parse(raw('webhook-update.body.txt').toString('utf8')) as Record<string, unknown>;
    for (const id of ['000351181', ' 351181 ', 351181]) {
      const text = JSON.stringify({ ...body, Id: id });
      expect(event(parse(text)).ticketId, JSON.stringify(id)).toBe('351181');
    }
  });

  it('reads an Update with a dedupe id from Guid, Id, SequenceNumber and EventTime', () => {
    const e = event(parse(raw('webhook-update.body.txt')));
    expect(e).toEqual({
      ticketId: '351181',
      action: 'updated',
      eventId: 'a1da62a4-2c49-40a8-8183-69994ce5b3eb.351181.2.20250915145750',
      actor: '30691780',
      version: '2025-09-15T14:57:50.999Z',
    });
  });

  it('reads keys case-insensitively (PersonId) and prefers the LastTrackedModificationDateTime field as version', () => {
    const e = event(parse(raw('webhook-accents.body.txt')));
    expect(e.actor).toBe('29684010');
    expect(e.version).toBe('2026-11-24T15:10:02.433Z');
    expect(e.eventId).toContain('.41.');
  });

  it('gives two sequence numbers two ids and a retried delivery the same id', () => {
    const a = (seq: number) =>
      `{"Action":"Update","Guid":"g-1","EntityType":"Ticket","Id":7,"EventTime":"2026-01-01T00:00:00Z","SequenceNumber":${seq}}`;
    expect(event(parse(a(1))).eventId).not.toBe(event(parse(a(2))).eventId);
    expect(event(parse(a(1))).eventId).toBe(event(parse(a(1))).eventId);
  });

  it('maps Create and Delete, and string ids', () => {
    expect(
      event(parse('{"Action":"Create","Guid":"g","EntityType":"Ticket","Id":"42","SequenceNumber":1}')),
    ).toMatchObject({ ticketId: '42', action: 'created' });
    expect(
      event(parse('{"action":"delete","guid":"g","entityType":"Ticket","id":42,"sequenceNumber":2}')),
    ).toMatchObject({ action: 'deleted' });
  });

  it('drops our own echo (PersonID = our API resource)', () => {
    const r = parse(raw('webhook-update.body.txt'), 30691780);
    expect(r).toEqual({ ok: true, value: { ignore: 'echo', eventId: expect.any(String), ticketId: '351181' } });
  });

  it('turns a TicketNote event into an update of its ticket', () => {
    expect(event(parse(raw('webhook-note.body.txt')))).toMatchObject({ ticketId: '351181', action: 'updated' });
    expect(event(parse(raw('webhook-note.body.txt'))).actor).toBeUndefined();
  });

  it('ignores other entities and actions with a 2xx-worthy answer', () => {
    expect(parse('{"Action":"Update","Guid":"g","EntityType":"Account","Id":174,"SequenceNumber":3}')).toMatchObject({
      ok: true,
      value: { ignore: 'entity_type' },
    });
    expect(parse('{"Action":"Deactivated","Guid":"g","EntityType":"Ticket","Id":1,"SequenceNumber":3}')).toMatchObject({
      ok: true,
      value: { ignore: 'action', ticketId: '1' },
    });
    expect(parse('{"Action":"Create","Guid":"g","EntityType":"TicketNote","Id":9,"Fields":{}}')).toMatchObject({
      ok: true,
      value: { ignore: 'entity_type' },
    });
  });

  it('falls back to a body hash when neither sequence nor time is present', () => {
    expect(event(parse('{"Action":"Update","EntityType":"Ticket","Id":5}')).eventId).toMatch(/^at-[0-9a-f]{32}$/);
  });

  it.each([
    ['an array', '[1,2]'],
    ['a string', '"x"'],
    ['no Id', '{"Action":"Update","EntityType":"Ticket"}'],
    ['a negative Id', '{"Action":"Update","EntityType":"Ticket","Id":-4}'],
    ['an object Id', '{"Action":"Update","EntityType":"Ticket","Id":{"a":1}}'],
    ['a numeric Action', '{"Action":5,"EntityType":"Ticket","Id":1}'],
  ])('refuses %s as bad_request', (_name, text) => {
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad_request');
  });

  it('keeps the trust-boundary shape: wrong field types are a 400, unknown keys are fine (any casing)', () => {
    const base = { Action: 'Update', EntityType: 'Ticket', Id: 3, SequenceNumber: 1 };
    const shape = (extra: Record<string, unknown>) => parse(JSON.stringify({ ...base, ...extra }));
    for (const bad of [
      { Fields: [] },
      { Fields: 'x' },
      { Fields: 5 },
      { Action: 5 },
      { Guid: {} },
      { Id: true },
      { EventTime: 1 },
      { PersonID: [] },
      { SequenceNumber: {} },
    ]) {
      const r = shape(bad);
      expect(r.ok ? 'accepted' : r.error.message, JSON.stringify(bad)).toBe(
        'Autotask webhook: unexpected payload shape',
      );
    }
    expect(
      event(shape({ Fields: null, Guid: null, PersonID: null, Extra: { deep: [1] }, UserDefinedFields: [] })).ticketId,
    ).toBe('3');
    expect(event(shape({ Fields: { status: '5', Nested: { a: 1 } } })).ticketId).toBe('3');
  });

  it('ignores prototype-pollution keys', () => {
    const text = '{"__proto__":{"polluted":1},"Action":"Update","EntityType":"Ticket","Id":3,"SequenceNumber":1}';
    expect(event(parse(text)).ticketId).toBe('3');
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });
});
