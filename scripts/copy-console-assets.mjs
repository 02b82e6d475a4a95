// `npm run build` step: tsc compiles only TypeScript; the console's own static files (console.js/.css, favicon)
// are copied next to the compiled console so `new URL('./assets/…', import.meta.url)` finds them in dist/ too.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/http/console/assets', import.meta.url));
const to = fileURLToPath(new URL('../dist/src/http/console/assets', import.meta.url));
cpSync(from, to, { recursive: true });
