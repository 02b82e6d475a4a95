// Regenerates docs/schemas/timeline.schema.json from src/backtest/timeline.ts (never hand-edit it).
// src/backtest/timeline.test.ts fails when the two differ.
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { timelineJsonSchema } from '../src/backtest/timeline.js';

const target = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'schemas', 'timeline.schema.json');
writeFileSync(target, `${JSON.stringify(timelineJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
