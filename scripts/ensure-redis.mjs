#!/usr/bin/env node
// Makes sure the Debian programs the service and its tests spawn exist: `redis-server` (the embedded default and the
// integration tests) and, when named on the command line, `chromium` (the console's browser tests, driven by
// playwright-core: no browser download). On Debian as root (or with passwordless sudo) it installs the missing
// packages; otherwise it prints one line saying what to do. Never touches a running Redis.
//   node scripts/ensure-redis.mjs [chromium]
import { execFileSync, spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const wanted = ['redis-server', ...process.argv.slice(2)];
const missing = wanted.filter(
  (bin) =>
    !(bin === 'redis-server' && process.env.REDIS_URL) &&
    !(bin === 'chromium' && process.env.CHROMIUM_PATH) &&
    !has(bin),
);
if (missing.length === 0) process.exit(0);

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !asRoot && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (has('apt-get') && (asRoot || sudo)) {
  const run = (args) =>
    execFileSync(sudo ? 'sudo' : args[0], sudo ? args : args.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  process.stderr.write(
    `psa-escalator: ${missing.join(', ')} not found; installing with apt-get (Debian packages ${missing.join(' ')})\n`,
  );
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', ...missing]);
  process.exit(0);
}
const advice = {
  'redis-server':
    'redis-server not found: install it (Debian/Ubuntu: `apt-get install -y redis-server`, macOS: `brew install redis`) or set REDIS_URL to an existing Redis',
  chromium:
    'chromium not found (the console browser tests need it): install it (Debian: `apt-get install -y chromium`) or set CHROMIUM_PATH',
};
for (const bin of missing) process.stderr.write(`psa-escalator: ${advice[bin] ?? `${bin} not found`}\n`);
process.exit(1);
