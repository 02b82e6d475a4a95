import { afterEach, describe, it } from 'vitest';

import { adapters, optional } from './adapters/index.js';
import type { FakePsa } from './adapters/types.js';
import { scenarios } from './conformance.js';

// One behaviour list, every connector (docs/adding-a-connector.md#conformance). `CONFORMANCE_CONNECTOR=<name>`
// adds an opt-in adapter (e.g. `template`, the skeleton, which fails every scenario until it is implemented).

const extra = process.env['CONFORMANCE_CONNECTOR'];
const selected = [...adapters, ...(extra && optional[extra] ? [optional[extra]] : [])];

describe.each(selected.map((a) => [a.name, a] as const))('conformance: %s', (_name, adapter) => {
  let psa: FakePsa | undefined;
  afterEach(async () => {
    await psa?.close();
    psa = undefined;
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_title, scenario) => {
    psa = await adapter.start();
    await scenario.run(adapter, psa);
  });
});
