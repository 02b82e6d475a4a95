import { describe, expect, it } from 'vitest';

import { onOwnOrigin } from './client.js';
import { settingsSchema } from './schemas.js';

const settings = (connection: Record<string, string>) =>
  settingsSchema.parse({
    connection: { clientId: 'c', clientSecret: 's', ...connection },
    webhook: { basicAuth: { username: 'u', password: 'p' } },
  });

describe('onOwnOrigin (where a discovered Halo auth_url may send the client secret)', () => {
  const tenant = settings({ tenantUrl: 'https://initech.halopsa.com' });

  it('accepts URLs on the tenant (or API) origin', () => {
    expect(onOwnOrigin(tenant, 'https://initech.halopsa.com/auth')).toBe(true);
    expect(onOwnOrigin(tenant, 'https://INITECH.halopsa.com:443/auth/')).toBe(true);
    const split = settings({ tenantUrl: 'https://initech.halopsa.com', apiUrl: 'https://api.initech.example/api' });
    expect(onOwnOrigin(split, 'https://api.initech.example/auth')).toBe(true);
  });

  it.each([
    'https://initech.halopsa.com@evil.example/auth',
    'https://user:pw@initech.halopsa.com/auth',
    'https://initech.halopsa.com.evil.example/auth',
    'https://evil.halopsa.com/auth',
    'http://initech.halopsa.com/auth',
    'https://initech.halopsa.com:8443/auth',
    '//evil.example/auth',
    'not a url',
  ])('refuses %s', (url) => {
    expect(onOwnOrigin(tenant, url)).toBe(false);
  });
});
