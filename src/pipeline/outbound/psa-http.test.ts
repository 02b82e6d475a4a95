import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { Logger } from '../../contract/index.js';

import { createHttpClient } from './psa-http.js';
import type { HttpClientOptions } from './psa-http.js';

// The retry rules around p-retry (src/pipeline/outbound/psa-http.ts), on an injected clock: every wait the client
// makes goes through `sleep`, so the test sees exactly how long it waited and why.

const PSA = 'https://psa.example.test';
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
} as unknown as Logger;

function client(extra: Partial<HttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const pauses: number[] = [];
  const http = createHttpClient({
    log: silent,
    minDelayMs: 100,
    maxDelayMs: 800,
    random: () => 1,
    now: () => Date.parse('2026-12-07T00:00:00Z'),
    sleep: async (ms) => void sleeps.push(ms),
    onRetryAfter: async (ms) => void pauses.push(ms),
    ...extra,
  });
  return { http, sleeps, pauses };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('outbound PSA retries (p-retry with our rules)', () => {
  it('waits exactly the Retry-After of a 429 (seconds), not the backoff, and tells the instance to pause', async () => {
    nock(PSA).get('/t/1').reply(429, {}, { 'retry-after': '7' }).get('/t/1').reply(200, { id: 1 });
    const { http, sleeps, pauses } = client();
    const res = await http.request({ method: 'GET', url: `${PSA}/t/1` });
    expect(res.data).toEqual({ id: 1 });
    expect(sleeps).toEqual([7_000]);
    expect(pauses).toEqual([7_000]);
  });

  it('honours an HTTP-date Retry-After on a 503 and waits it out even for a note POST', async () => {
    nock(PSA)
      .post('/notes')
      .reply(503, {}, { 'retry-after': 'Mon, 07 Dec 2026 00:00:12 GMT' })
      .post('/notes')
      .reply(201, { id: 9 });
    const { http, sleeps } = client();
    const res = await http.request({ method: 'POST', url: `${PSA}/notes`, json: { text: 'x' } });
    expect(res.status).toBe(201);
    expect(sleeps).toEqual([12_000]);
  });

  it('hands a Retry-After longer than the inline limit back as rate_limited without waiting', async () => {
    nock(PSA).get('/t/2').reply(429, {}, { 'retry-after': '120' });
    const { http, sleeps, pauses } = client();
    await expect(http.request({ method: 'GET', url: `${PSA}/t/2` })).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 120_000,
    });
    expect(sleeps).toEqual([]);
    expect(pauses).toEqual([120_000]);
  });

  it('stops waiting after maxRateLimitWaits 429s', async () => {
    nock(PSA).get('/t/3').times(3).reply(429, {}, { 'retry-after': '1' });
    const { http, sleeps } = client({ maxRateLimitWaits: 2 });
    await expect(http.request({ method: 'GET', url: `${PSA}/t/3` })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(sleeps).toEqual([1_000, 1_000]);
  });

  it('backs off exponentially (capped) on 5xx for idempotent calls, up to `retries`', async () => {
    nock(PSA).get('/t/4').times(4).reply(502, {}).get('/t/4').reply(200, { ok: true });
    const { http, sleeps } = client({ retries: 4 });
    expect((await http.request({ method: 'GET', url: `${PSA}/t/4` })).data).toEqual({ ok: true });
    expect(sleeps).toEqual([100, 200, 400, 800]);
  });

  it('gives up after `retries` transient failures with the PSA error', async () => {
    nock(PSA).get('/t/5').times(3).reply(500, {});
    const { http, sleeps } = client({ retries: 2 });
    await expect(http.request({ method: 'GET', url: `${PSA}/t/5` })).rejects.toMatchObject({ code: 'psa_unavailable' });
    expect(sleeps).toEqual([100, 200]);
  });

  it('never retries a note POST blindly after a 5xx (the writer re-checks by marker instead)', async () => {
    nock(PSA).post('/notes').reply(500, {});
    const { http, sleeps } = client();
    await expect(http.request({ method: 'POST', url: `${PSA}/notes`, json: {} })).rejects.toMatchObject({
      code: 'psa_unavailable',
    });
    expect(sleeps).toEqual([]);
  });

  it('does not retry what the PSA refused for good (404, validation)', async () => {
    nock(PSA).get('/t/6').reply(404, {}).patch('/t/6').reply(400, {});
    const { http, sleeps } = client();
    await expect(http.request({ method: 'GET', url: `${PSA}/t/6` })).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      http.request({ method: 'PATCH', url: `${PSA}/t/6`, json: {}, idempotent: true }),
    ).rejects.toMatchObject({ code: 'validation' });
    expect(sleeps).toEqual([]);
  });
});
