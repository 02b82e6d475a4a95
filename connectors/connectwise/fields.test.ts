import { describe, expect, it } from 'vitest';

import { affectedSystemsOf, cwFieldSource } from './normalize.js';

describe('ConnectWise handoff fields (issue 13)', () => {
  it('lists ticket configurations as affected systems (deviceIdentifier, else the id), deduplicated', () => {
    expect(
      affectedSystemsOf({
        configurations: [{ id: 1, deviceIdentifier: 'PC-01' }, { id: 2 }, { id: 3, deviceIdentifier: 'PC-01' }],
      }),
    ).toBe('PC-01, Configuration 2');
    expect(affectedSystemsOf({ configurations: [] })).toBeUndefined();
    expect(affectedSystemsOf(undefined)).toBeUndefined();
  });

  it('reads a fields: source from standard fields (references show their name) or a custom field caption', () => {
    const raw = {
      type: { id: 3, name: 'Network' },
      subType: { id: 4, name: 'Firewall' },
      severity: 'High',
      customFields: [{ id: 9, caption: 'Environment', value: 'Azure tenant' }],
    };
    expect(cwFieldSource({ field: ['type', 'subType'] }, raw)).toBe('Network / Firewall');
    expect(cwFieldSource({ field: 'severity' }, raw)).toBe('High');
    expect(cwFieldSource({ udf: 'environment' }, raw)).toBe('Azure tenant');
    expect(cwFieldSource({ udf: 'Nope' }, raw)).toBeUndefined();
  });
});
