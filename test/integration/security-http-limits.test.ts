import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { connectors } from '../../src/connectors.js';
import { loadConfigText } from '../../src/config/index.js';
import { build, type Built } from '../helpers/build.js';

// docs/reliability.md §4 #11 (slowloris cut by requestTimeout over a real socket), #16 (refuse to start with TLS
// verification disabled) and #19 (header injection in tenant config values rejected at load).

let h: Built | undefined;
afterEach(async () => {
  await h?.app.close();
  h = undefined;
});

describe('#11 a slowloris client is cut at the request timeout', () => {
  it('a body sent at a few bytes per second gets 408 and a closed socket long before it is complete', async () => {
    h = await build({ app: { requestTimeoutMs: 1_000 } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    socket.on('error', () => undefined);
    socket.write(
      'POST /webhooks/acme HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n',
    );
    let sent = 0;
    // 200 bytes at one byte every 100 ms would take 20 s; the server must hang up long before.
    while (!isClosed && sent < 200) {
      socket.write('x');
      sent += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
    await closed;
    expect(sent).toBeLessThan(200);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(h.pipeline.calls).toEqual([]);
  }, 30_000);

  it('slow headers are cut too (the request never reaches a route)', async () => {
    h = await build({ app: { requestTimeoutMs: 1_000 } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    const header = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200);
    let sent = 0;
    while (!isClosed && sent < header.length) {
      socket.write(header[sent]!);
      sent += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    await closed;
    expect(sent).toBeLessThan(header.length);
  }, 30_000);
});

describe('#16 TLS verification is never disabled', () => {
  it('the app refuses to build when NODE_TLS_REJECT_UNAUTHORIZED=0 and builds again once it is unset', async () => {
    const key = 'NODE_TLS_REJECT_UNAUTHORIZED';
    const before = process.env[key];
    process.env[key] = '0';
    try {
      await expect(build()).rejects.toThrow(/disables TLS certificate verification/);
    } finally {
      if (before === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = before;
    }
    h = await build();
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('#19 header injection through tenant config values is rejected at load', () => {
  const base = (instance: string) => `
calendars:
  always: { timezone: UTC, hours: { mon-sun: "00:00-24:00" } }
tiers: [T1, T2]
policies:
  p: { calendar: always, rules: [] }
instances:
${instance}`;
  const flow = (o: Record<string, string>) =>
    `{ ${Object.entries(o)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join(', ')} }`;
  const cw = (field: string, value: string) => `  - id: cw
    kind: connectwise
    policy: p
    connection: ${flow({ companyId: 'acme', publicKey: 'pub', privateKey: 'priv', clientId: 'cid', baseUrl: 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0', [field]: value })}
    mapping: { tiers: { T1: { board: 1 }, T2: { board: 2 } } }
`;
  const at = (field: string, value: string) => `  - id: at
    kind: autotask
    policy: p
    connection: ${flow({ username: 'u', secret: 's', integrationCode: 'ic', zoneUrl: 'https://webservices2.autotask.net/atservicesrest/v1.0', [field]: value })}
    webhook: { secretKey: "0123456789abcdef" }
    mapping: { tiers: { T1: { queueID: 1 }, T2: { queueID: 2 } } }
`;
  const halo = (user: string, password: string, clientId = 'cid') => `  - id: halo
    kind: halo
    policy: p
    connection: { tenantUrl: "https://msp.halopsa.com", clientId: ${JSON.stringify(clientId)}, clientSecret: sec }
    webhook: { basicAuth: { username: ${JSON.stringify(user)}, password: ${JSON.stringify(password)} } }
    mapping: { tiers: { T1: { team: a }, T2: { team: b } } }
`;
  const evil = 'abc\r\nX-Evil: 1';

  it('the same configs load when the values are clean (so the failures below are about the values)', () => {
    for (const text of [
      base(cw('clientId', 'abc')),
      base(at('integrationCode', 'abc')),
      base(halo('escalator', 'pw')),
    ]) {
      const r = loadConfigText(text, 'clean.yaml', {}, connectors);
      expect(r.ok, r.ok ? '' : JSON.stringify(r.error)).toBe(true);
    }
  });

  it.each([
    ['ConnectWise clientId', base(cw('clientId', evil))],
    ['ConnectWise companyId', base(cw('companyId', evil))],
    ['ConnectWise privateKey', base(cw('privateKey', 'k\nX-Evil: 1'))],
    ['Autotask integrationCode', base(at('integrationCode', evil))],
    ['Autotask username', base(at('username', 'u\rX'))],
    ['Halo clientId', base(halo('escalator', 'pw', evil))],
    ['Halo Basic password', base(halo('escalator', evil))],
  ])('%s with CR/LF → a config problem naming printable ASCII', (_name, text) => {
    const r = loadConfigText(text, 'evil.yaml', {}, connectors);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(JSON.stringify(r.error)).toMatch(/printable ASCII/);
  });

  it('also when the value arrives through ${ENV} interpolation', () => {
    const r = loadConfigText(base(cw('clientId', '${CW_CLIENT_ID}')), 'env.yaml', { CW_CLIENT_ID: evil }, connectors);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(JSON.stringify(r.error)).toMatch(/printable ASCII/);
  });
});
