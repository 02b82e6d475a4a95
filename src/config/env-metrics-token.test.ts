import { describe, expect, it } from 'vitest';

import { envWarnings, loadEnv, parseEnv } from './env.js';

describe('METRICS_TOKEN', () => {
  it('unset or blank → undefined (/metrics open); set → the token', () => {
    expect(loadEnv({}).metricsToken).toBeUndefined();
    expect(loadEnv({ METRICS_TOKEN: '   ' }).metricsToken).toBeUndefined();
    expect(loadEnv({ METRICS_TOKEN: 'm'.repeat(40) }).metricsToken).toBe('m'.repeat(40));
  });

  it('a short token is a warning that never echoes it', () => {
    const warnings = envWarnings(loadEnv({ METRICS_TOKEN: 'short-secret' }));
    expect(warnings).toEqual([expect.stringMatching(/^METRICS_TOKEN: shorter than 32 characters/)]);
    expect(warnings.join('\n')).not.toContain('short-secret');
    expect(envWarnings(loadEnv({ METRICS_TOKEN: 'm'.repeat(32) }))).toEqual([]);
    expect(parseEnv({ METRICS_TOKEN: 'x' }).ok).toBe(true);
  });
});
