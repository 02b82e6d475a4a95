import { describe, expect, it } from 'vitest';

import { ConnectorError } from '../contract/index.js';
import { PipelineUnavailableError } from '../pipeline/types.js';

import { errorStatus, HttpError, toHttpError } from './errors.js';

describe('the code → status table', () => {
  it('covers the codes of docs/spec.md §5 (plus the route-specific public_url_missing of its table)', () => {
    expect(errorStatus).toEqual({
      bad_request: 400,
      unauthorized: 401,
      not_found: 404,
      conflict: 409,
      public_url_missing: 409,
      payload_too_large: 413,
      rate_limited: 429,
      internal: 500,
      unavailable: 503,
      key_unavailable: 503,
    });
  });
});

describe('toHttpError', () => {
  const body = (e: unknown) => {
    const h = toHttpError(e);
    return [h.status, h.toBody()] as const;
  };

  it('keeps HttpErrors and renders the envelope', () => {
    expect(body(new HttpError('conflict', 'taken', { details: { reason: 'x' } }))).toEqual([
      409,
      { error: { code: 'conflict', message: 'taken', details: { reason: 'x' } } },
    ]);
  });

  it('maps validation errors with zod paths', () => {
    const e = Object.assign(new Error('bad'), {
      validation: [{ instancePath: '/ticket/status', message: 'Invalid input' }],
      validationContext: 'body',
    });
    expect(body(e)).toEqual([
      400,
      {
        error: {
          code: 'bad_request',
          message: 'Request is invalid',
          details: [{ path: 'ticket.status', message: 'Invalid input' }],
        },
      },
    ]);
    const q = Object.assign(new Error('bad'), {
      validation: [{ instancePath: '/limit', message: 'Too big' }],
      validationContext: 'querystring',
    });
    expect(toHttpError(q).details).toEqual([{ path: 'query.limit', message: 'Too big' }]);
  });

  it('maps the pipeline, connector and Fastify errors it knows', () => {
    expect(toHttpError(new PipelineUnavailableError('ECONNREFUSED')).code).toBe('unavailable');
    expect(toHttpError(new ConnectorError('unauthorized', 'x')).code).toBe('unauthorized');
    expect(toHttpError(new ConnectorError('key_unavailable', 'x')).code).toBe('key_unavailable');
    expect(
      toHttpError(
        Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }),
      ).code,
    ).toBe('payload_too_large');
    expect(
      toHttpError(
        Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }),
      ).status,
    ).toBe(400);
    expect(toHttpError(Object.assign(new Error('slow down'), { statusCode: 429 })).code).toBe('rate_limited');
  });

  it('turns anything else into a 500 with a generic message', () => {
    for (const e of [
      new Error('password=hunter2 at db.ts:12'),
      'a string',
      null,
      { statusCode: 502, message: 'upstream secret' },
      new ConnectorError('psa_auth', 'token abc'),
    ]) {
      expect(body(e)).toEqual([500, { error: { code: 'internal', message: 'Internal server error' } }]);
    }
  });
});
