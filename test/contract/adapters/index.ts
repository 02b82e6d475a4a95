import { autotaskAdapter } from './autotask.js';
import { connectwiseAdapter } from './connectwise.js';
import { haloAdapter } from './halo.js';
import { templateAdapter } from './template.js';
import type { ConformanceAdapter } from './types.js';

/** The shipped connectors: every one runs the whole behaviour list (one line per connector). */
export const adapters: ConformanceAdapter[] = [connectwiseAdapter, autotaskAdapter, haloAdapter];

/**
 * Opt-in extras by name: `CONFORMANCE_CONNECTOR=template npx vitest run test/contract/conformance.test.ts` runs the
 * skeleton (connectors/_template) through the same list; it fails every scenario until it is filled in.
 */
export const optional: Record<string, ConformanceAdapter> = { template: templateAdapter };
