#!/usr/bin/env node
// Makes sure a `redis-server` binary exists (the embedded default and the integration tests spawn one).
// On Debian as root (or with passwordless sudo) it installs the `redis-server` package; otherwise it prints
// one line saying what to do. Never touches a running Redis.
import { execFileSync, spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
if (process.env.REDIS_URL || has('redis-server')) process.exit(0);

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !asRoot && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (has('apt-get') && (asRoot || sudo)) {
  const run = (args) => execFileSync(sudo ? 'sudo' : args[0], sudo ? args : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  process.stderr.write('psa-escalator: redis-server not found; installing it with apt-get (Debian package redis-server)\n');
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', 'redis-server']);
  process.exit(0);
}
process.stderr.write(
  'psa-escalator: redis-server not found: install it (Debian/Ubuntu: `apt-get install -y redis-server`, macOS: `brew install redis`) or set REDIS_URL to an existing Redis\n',
);
process.exit(1);
