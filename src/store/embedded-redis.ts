import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

import type { Logger } from '../contract/index.js';

/** `redis-server` is not installed: the one clear line docs/spec.md §4 asks for. */
export class RedisBinaryMissingError extends Error {
  readonly code = 'redis_missing' as const;
  constructor(binary: string) {
    super(
      `${binary} not found: install Redis (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL to an existing Redis`,
    );
    this.name = 'RedisBinaryMissingError';
  }
}

export interface EmbeddedRedisOptions {
  /** `DATA_DIR`: the AOF lives in `<dataDir>/redis`. */
  dataDir: string;
  log: Logger;
  /** @defaultValue 'redis-server' (from PATH) */
  binary?: string;
  /** @defaultValue a free loopback port, kept across restarts */
  port?: number;
  /** @defaultValue 10_000 */
  startTimeoutMs?: number;
  /** Restarts allowed within a minute before giving up. @defaultValue 5 */
  maxRestartsPerMinute?: number;
  /** Called when the child died and can't be restarted. */
  onFatal?: (error: Error) => void;
}

export interface EmbeddedRedis {
  /** `redis://:<password>@127.0.0.1:<port>`: carries the password; never log it. */
  url: string;
  port: number;
  dir: string;
  /** The current child's pid (changes after a restart). */
  pid(): number | undefined;
  /** How many times the child was restarted after dying. */
  restarts(): number;
  /** Stops the child (SIGTERM: Redis flushes the AOF; SIGKILL after 5 s) and no longer restarts it. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => done(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** True when the server on the port accepts `password` and answers `PING` with `+PONG`. */
function ping(port: number, password: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (b: Buffer) => {
      answer += b.toString();
      if (answer.includes('+PONG')) finish(true);
      else if (answer.startsWith('-') || answer.includes('\r\n-')) finish(false);
    });
  });
}

const argsFor = (port: number, dir: string): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--protected-mode',
  'yes',
  '--dir',
  dir,
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--save',
  '',
  '--maxmemory-policy',
  'noeviction',
  // hz 100: blocking-command timeouts (how BullMQ wakes for delayed jobs, i.e. the debounce) fire within ~10 ms
  // instead of up to 100 ms late at the default hz 10 (bench/latency.ts).
  '--hz',
  '100',
  '--daemonize',
  'no',
  '--logfile',
  '',
];

/** Where `spawn` looks for a bare name when PATH is unset (libuv: the C library's default path). */
const DEFAULT_PATH = '/usr/bin:/bin';

/** The executable `binary` names (a path, or a name looked up on PATH as `spawn` would), or undefined. */
function findExecutable(binary: string): string | undefined {
  const candidates = binary.includes('/')
    ? [resolve(binary)]
    : (process.env['PATH'] ?? DEFAULT_PATH)
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, binary));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * How the child is started. On Linux it runs under util-linux `setpriv --pdeathsig KILL` (part of every Debian base,
 * node:*-slim included; `setpriv` then execs redis-server, so the pid stays redis-server's): when this process dies
 * without a chance to stop it (SIGKILL, the OOM killer), the kernel kills redis-server too, instead of leaving it
 * running on the data directory the next start will use. Elsewhere, or without setpriv, redis-server is spawned
 * directly and only a normal exit stops it.
 */
function commandFor(redis: string, args: string[]): { file: string; args: string[] } {
  const setpriv = pdeathsigWrapper();
  return setpriv ? { file: setpriv, args: ['--pdeathsig', 'KILL', '--', redis, ...args] } : { file: redis, args };
}

/** Per `setpriv` path: whether it takes `--pdeathsig`. */
const pdeathsigSupport = new Map<string, boolean>();

/**
 * `setpriv` when it has `--pdeathsig` (util-linux ≥ 2.33; older ones, e.g. Ubuntu 18.04 or RHEL 8, and busybox builds
 * refuse the option): probed once per binary by running `setpriv --pdeathsig KILL -- true`.
 */
function pdeathsigWrapper(): string | undefined {
  const setpriv = process.platform === 'linux' ? findExecutable('setpriv') : undefined;
  if (!setpriv) return undefined;
  let ok = pdeathsigSupport.get(setpriv);
  if (ok === undefined) {
    const truePath = findExecutable('true');
    ok =
      truePath !== undefined &&
      // SIGKILL at the timeout (the default SIGTERM can be ignored, and spawnSync then waits: start-up would hang);
      // no pipes, so an orphan of the probe cannot hold spawnSync open either.
      spawnSync(setpriv, ['--pdeathsig', 'KILL', '--', truePath], {
        timeout: 5_000,
        killSignal: 'SIGKILL',
        stdio: 'ignore',
      }).status === 0;
    pdeathsigSupport.set(setpriv, ok);
  }
  return ok ? setpriv : undefined;
}

/**
 * Spawns the child and resolves once it answers PING (rejects when it exits or never answers). The password goes in
 * on stdin (`redis-server -` reads a config from it), never on the command line where `ps` would show it.
 */
async function spawnAndWait(
  binary: string,
  port: number,
  dir: string,
  password: string,
  timeoutMs: number,
): Promise<ChildProcess> {
  // A named path that exists but cannot be run is not "missing": the spawn then says why (permission denied).
  const redis = findExecutable(binary) ?? (binary.includes('/') && existsSync(binary) ? resolve(binary) : undefined);
  if (!redis) throw new RedisBinaryMissingError(binary);
  const command = commandFor(redis, ['-', ...argsFor(port, dir)]);
  const child = spawn(command.file, command.args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(`requirepass ${password}\n`);
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-2_000)));
  child.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-2_000)));
  const exited = new Promise<Error>((done) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ENOENT' ? new RedisBinaryMissingError(binary) : e),
    );
    child.once('exit', (code) =>
      done(
        new Error(
          `redis-server exited with ${code} before it was ready: ${output.trim().split('\n').slice(-3).join(' | ')}`,
        ),
      ),
    );
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await Promise.race([exited, ping(port, password).then((ok) => (ok ? 'ready' : 'wait'))]);
    if (result instanceof Error) throw result;
    if (result === 'ready') return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The supervised child and what a restart needs (same port, password and data directory). */
interface Supervised {
  binary: string;
  port: number;
  dir: string;
  password: string;
  timeoutMs: number;
  maxRestartsPerMinute: number;
  log: Logger;
  onFatal: ((error: Error) => void) | undefined;
  child: ChildProcess;
  stopping: boolean;
  restarts: number;
  /** Exit instants of the last minute. */
  recent: number[];
}

/** When the child dies (not stopped by us): restart it with backoff, or give up after too many deaths in a minute. */
function restartOnExit(s: Supervised, c: ChildProcess): void {
  c.once('exit', (code, signal) => {
    if (s.stopping) return;
    const now = Date.now();
    s.recent.push(now);
    while (s.recent.length > 0 && s.recent[0]! < now - 60_000) s.recent.shift();
    if (s.recent.length > s.maxRestartsPerMinute) {
      const error = new Error(`embedded redis-server keeps dying (${s.recent.length} times in a minute); giving up`);
      s.log.error({ code, signal }, error.message);
      s.onFatal?.(error);
      return;
    }
    s.log.error({ code, signal }, 'embedded redis-server died: restarting it');
    const delay = Math.min(5_000, 250 * 2 ** (s.recent.length - 1));
    setTimeout(() => void restart(s), delay).unref();
  });
}

async function restart(s: Supervised): Promise<void> {
  let next: ChildProcess;
  try {
    next = await spawnAndWait(s.binary, s.port, s.dir, s.password, s.timeoutMs);
  } catch (e) {
    s.log.error({ err: { message: (e as Error).message } }, 'embedded redis-server could not be restarted');
    s.onFatal?.(e as Error);
    return;
  }
  if (s.stopping) {
    next.kill('SIGTERM');
    return;
  }
  s.child = next;
  s.restarts += 1;
  s.log.warn({ pid: next.pid }, 'embedded redis-server restarted');
  restartOnExit(s, next);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    c.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    c.kill('SIGTERM');
  });
}

/**
 * The embedded default (docs/spec.md §4, `REDIS_URL` unset): a private `redis-server` child on 127.0.0.1 and a free port,
 * AOF on in `DATA_DIR/redis`, `noeviction`, a random `requirepass` (in `url`); restarted (same port, password and
 * data) if it dies, stopped on exit.
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = options.binary ?? 'redis-server';
  const dir = resolve(join(options.dataDir, 'redis'));
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  // Random per start, known only to this process: another local user cannot read or queue anything on loopback.
  const password = randomBytes(24).toString('hex');
  const child = await spawnAndWait(binary, port, dir, password, timeoutMs);
  const s: Supervised = {
    binary,
    port,
    dir,
    password,
    timeoutMs,
    maxRestartsPerMinute: options.maxRestartsPerMinute ?? 5,
    log: options.log.child({ component: 'embedded-redis', port }),
    onFatal: options.onFatal,
    child,
    stopping: false,
    restarts: 0,
    recent: [],
  };
  const killOnExit = () => s.child.kill('SIGKILL');
  process.once('exit', killOnExit);
  restartOnExit(s, child);
  s.log.info({ pid: child.pid, dir }, 'embedded redis-server started');
  return {
    url: `redis://:${password}@127.0.0.1:${port}`,
    port,
    dir,
    pid: () => s.child.pid,
    restarts: () => s.restarts,
    async stop() {
      s.stopping = true;
      process.off('exit', killOnExit);
      await stopChild(s.child);
    },
  };
}
