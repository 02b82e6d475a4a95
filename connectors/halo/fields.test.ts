import { describe, expect, it } from 'vitest';

import { haloFieldSource } from './normalize.js';

describe('Halo fields: sources (issue 13)', () => {
  it('reads standard fields or a custom field by name (display, else value)', () => {
    const t = {
      category_1: 'Network',
      category_2: 'VPN',
      customfields: [{ name: 'CFEnvironment', display: 'On-prem DC', value: 4 }],
    };
    expect(haloFieldSource({ field: ['category_1', 'category_2'] }, t)).toBe('Network / VPN');
    expect(haloFieldSource({ udf: 'cfenvironment' }, t)).toBe('On-prem DC');
    expect(haloFieldSource(undefined, t)).toBeUndefined();
  });
});
