#!/usr/bin/env node
// Entry point for `npx psa-escalator` / the `bin` field. Runs the compiled CLI (`npm run build` first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/src/cli/index.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('psa-escalator: not built yet; run `npm run build` first (or `npm start`)\n');
  process.exit(1);
}
await import(compiled);
