// `npm run openapi`: regenerates the checked-in openapi/openapi.json from the route schemas (never hand-edit it).
// test/integration/http-openapi.test.ts fails when the two differ.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateOpenApiText } from '../src/http/openapi.js';

const target = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'openapi.json');
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, await generateOpenApiText());
console.log(`wrote ${target}`);
