import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../helpers/wait.js';
import { basic, haloBody, haloT1, post, SECRETS, startSecurityService } from '../integration/security-harness.js';
import type { SecurityService } from '../integration/security-harness.js';

// Issue 12 item 9: Halo's `/api/authinfo` answer says where the token endpoint is, and the token request carries the
// client secret. A compromised or spoofed authinfo answer must not redirect that secret: only the instance's own
// origin (or an explicit `connection.authUrl`) receives it. Two stand-ins for "elsewhere" on loopback: an HTTP
// server that records every body it gets, and a TCP trap that counts connections (an https origin we cannot serve
// a valid certificate for: a connection attempt is the leak). The real service, a real Redis, the fake Halo.

let s: SecurityService;
let redis: Redis;
let recorder: HttpServer;
let recorderPort: number;
const recorded: { path: string; body: string }[] = [];
let trap: TcpServer;
let trapPort: number;
let trapHits = 0;

beforeAll(async () => {
  s = await startSecurityService();
  redis = new Redis(s.redis.url);
  recorder = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      recorded.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: 'stolen-token', token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
  recorderPort = (recorder.address() as AddressInfo).port;
  trap = createTcpServer((c) => {
    trapHits += 1;
    c.destroy();
  });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  trapPort = (trap.address() as AddressInfo).port;
});
afterAll(async () => {
  redis?.disconnect();
  await new Promise((r) => recorder?.close(r));
  await new Promise((r) => trap?.close(r));
  await s?.close();
});

/** Forgets the cached authinfo answer and token of `sec-halo`, so the next PSA call discovers the auth URL again. */
async function forgetHaloAuth(): Promise<void> {
  const keys = await redis.keys('*:cache:sec-halo:*');
  if (keys.length > 0) await redis.del(...keys);
}

const ownTokenPosts = () => s.halo.requestsTo('POST', '/auth/token').length;
const secretLeaked = () => recorded.some((r) => r.body.includes(SECRETS.haloClientSecret)) || recorded.length > 0;

describe('Halo auth_url is pinned to the instance origin', () => {
  it('an authinfo answer naming another origin never receives the client secret; the token comes from the own origin', async () => {
    const vectors = () => [
      `${s.halo.origin}@127.0.0.1:${recorderPort}/auth`, // starts with the tenant URL, but the host is after the "@"
      `https://127.0.0.1:${trapPort}/auth`, // any https origin
      `http://127.0.0.1:${recorderPort}/auth`, // another loopback origin
    ];
    for (const [i, authUrl] of vectors().entries()) {
      await forgetHaloAuth();
      s.halo.fail({
        method: 'GET',
        path: /^\/api\/authinfo$/i,
        status: 200,
        body: { auth_url: authUrl, tenant_id: 'fake' },
      });
      const id = 9301 + i;
      haloT1(s, id);
      const before = ownTokenPosts();
      const res = await post(`${s.base}/webhooks/sec-halo`, haloBody(id), {
        'content-type': 'application/json',
        authorization: basic('escalator', SECRETS.haloHookPassword),
      });
      expect(res.status).toBe(202);
      // Whichever happens first: the token request at our own origin, or any contact with the foreign one.
      await waitFor(() => ownTokenPosts() > before || recorded.length > 0 || trapHits > 0, 20_000);
      expect(secretLeaked(), `${authUrl}: the foreign server got ${JSON.stringify(recorded)}`).toBe(false);
      expect(trapHits, authUrl).toBe(0);
      // The discovery answer was read (the scripted authinfo was used) and the escalation went ahead with our own token.
      await waitFor(
        async () =>
          (await s.running.read.ticket('sec-halo', String(id)))?.decisions.some((d) =>
            d.results.some((r) => r.action === 'reassign' && r.status === 'applied'),
          ),
        20_000,
      );
    }
    expect(s.halo.requestsTo('GET', /^\/api\/authinfo$/i).length).toBeGreaterThanOrEqual(vectors().length);
    expect(recorded).toEqual([]);
    expect(trapHits).toBe(0);
  });
});
