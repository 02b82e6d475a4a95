import { describe, expect, it } from 'vitest';

import { templateAdapter } from './adapters/template.js';
import { scenarios } from './conformance.js';

// The skeleton (connectors/_template) compiles but implements nothing: every conformance scenario must fail, and
// say which method to write and where the docs explain it (docs/adding-a-connector.md).

describe('connectors/_template against the conformance suite', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))(
    'fails "%s" with a "not implemented" pointer',
    async (_title, scenario) => {
      const psa = await templateAdapter.start();
      await expect(scenario.run(templateAdapter, psa)).rejects.toThrow(
        /not implemented: \w+\(\) — see docs\/adding-a-connector\.md#[a-z-]+/,
      );
      await psa.close();
    },
  );

  it('is not registered in the shipped service', async () => {
    const { connectors } = await import('../../src/connectors.js');
    expect(Object.values(connectors)).not.toContain(templateAdapter.connector);
  });
});
