import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
/** `redis-server` is not installed: the one clear line SPEC §4 asks for. */
export class RedisBinaryMissingError extends Error {
    code = 'redis_missing';
    constructor(binary) {
        super(`${binary} not found: install Redis (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL to an existing Redis`);
        this.name = 'RedisBinaryMissingError';
    }
}
async function freePort() {
    return new Promise((done, fail) => {
        const srv = createServer();
        srv.on('error', fail);
        srv.listen(0, '127.0.0.1', () => {
            const addr = srv.address();
            srv.close(() => done(typeof addr === 'object' && addr ? addr.port : 0));
        });
    });
}
/** True when something on the port answers `PING` with `+PONG`. */
function ping(port, timeoutMs = 500) {
    return new Promise((done) => {
        const socket = createConnection({ host: '127.0.0.1', port });
        const finish = (ok) => {
            socket.destroy();
            done(ok);
        };
        socket.setTimeout(timeoutMs, () => finish(false));
        socket.on('error', () => finish(false));
        socket.on('connect', () => socket.write('PING\r\n'));
        socket.on('data', (b) => finish(b.toString().startsWith('+PONG')));
    });
}
const argsFor = (port, dir) => [
    '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', dir,
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction',
    // hz 100: blocking-command timeouts (how BullMQ wakes for delayed jobs, i.e. the debounce) fire within ~10 ms
    // instead of up to 100 ms late at the default hz 10 (bench/latency.ts).
    '--hz', '100',
    '--daemonize', 'no', '--logfile', '',
];
/** Spawns the child and resolves once it answers PING (rejects when it exits or never answers). */
async function spawnAndWait(binary, port, dir, timeoutMs) {
    const child = spawn(binary, argsFor(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (b) => (output = (output + b.toString()).slice(-2_000)));
    child.stderr?.on('data', (b) => (output = (output + b.toString()).slice(-2_000)));
    const exited = new Promise((done) => {
        child.once('error', (e) => done(e.code === 'ENOENT' ? new RedisBinaryMissingError(binary) : e));
        child.once('exit', (code) => done(new Error(`redis-server exited with ${code} before it was ready: ${output.trim().split('\n').slice(-3).join(' | ')}`)));
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const result = await Promise.race([exited, ping(port).then((ok) => (ok ? 'ready' : 'wait'))]);
        if (result instanceof Error)
            throw result;
        if (result === 'ready')
            return child;
        if (Date.now() > deadline) {
            child.kill('SIGKILL');
            throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 50));
    }
}
/**
 * The embedded default (SPEC §4, `REDIS_URL` unset): a private `redis-server` child on 127.0.0.1 and a free port,
 * AOF on in `DATA_DIR/redis`, `noeviction`; restarted (same port and data) if it dies, stopped on exit.
 */
export async function startEmbeddedRedis(options) {
    const binary = options.binary ?? 'redis-server';
    const dir = resolve(join(options.dataDir, 'redis'));
    mkdirSync(dir, { recursive: true });
    const port = options.port ?? (await freePort());
    const timeoutMs = options.startTimeoutMs ?? 10_000;
    const maxRestarts = options.maxRestartsPerMinute ?? 5;
    const log = options.log.child({ component: 'embedded-redis', port });
    let child = await spawnAndWait(binary, port, dir, timeoutMs);
    let stopping = false;
    let restarts = 0;
    const recent = [];
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const watch = (c) => {
        c.once('exit', (code, signal) => {
            if (stopping)
                return;
            const now = Date.now();
            recent.push(now);
            while (recent.length > 0 && recent[0] < now - 60_000)
                recent.shift();
            if (recent.length > maxRestarts) {
                const error = new Error(`embedded redis-server keeps dying (${recent.length} times in a minute); giving up`);
                log.error({ code, signal }, error.message);
                options.onFatal?.(error);
                return;
            }
            log.error({ code, signal }, 'embedded redis-server died: restarting it');
            const delay = Math.min(5_000, 250 * 2 ** (recent.length - 1));
            setTimeout(() => {
                spawnAndWait(binary, port, dir, timeoutMs).then((next) => {
                    if (stopping) {
                        next.kill('SIGTERM');
                        return;
                    }
                    child = next;
                    restarts += 1;
                    log.warn({ pid: next.pid }, 'embedded redis-server restarted');
                    watch(next);
                }, (e) => {
                    log.error({ err: { message: e.message } }, 'embedded redis-server could not be restarted');
                    options.onFatal?.(e);
                });
            }, delay).unref();
        });
    };
    watch(child);
    log.info({ pid: child.pid, dir }, 'embedded redis-server started');
    return {
        url: `redis://127.0.0.1:${port}`,
        port,
        dir,
        pid: () => child.pid,
        restarts: () => restarts,
        async stop() {
            stopping = true;
            process.off('exit', killOnExit);
            const c = child;
            if (c.exitCode !== null || c.signalCode !== null)
                return;
            await new Promise((done) => {
                const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
                c.once('exit', () => {
                    clearTimeout(timer);
                    done();
                });
                c.kill('SIGTERM');
            });
        },
    };
}
//# sourceMappingURL=embedded-redis.js.map