import { Writable } from 'node:stream';

import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { createLogger } from '../lib/logger.js';

import { lazyChildLoggerFactory } from './request-logger.js';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('lazyChildLoggerFactory', () => {
  it('makes no pino child for a request that never logs, and the same line as an eager child for one that does', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info', destination: stream });
    const child = vi.spyOn(log, 'child');
    const app = Fastify({
      loggerInstance: log,
      childLoggerFactory: lazyChildLoggerFactory,
      disableRequestLogging: true,
      genReqId: () => 'req-1',
    });
    apps.push(app);
    app.get('/quiet', async () => ({ ok: true }));
    app.get('/loud', async (req) => {
      req.log.info({ settings: { secret: 's3cret' } }, 'hello');
      return { ok: true };
    });
    await app.ready();
    child.mockClear();

    expect((await app.inject('/quiet')).statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();

    expect((await app.inject('/loud')).statusCode).toBe(200);
    expect(child).toHaveBeenCalledTimes(1);
    const line = lines.find((l) => l['msg'] === 'hello');
    expect(line).toMatchObject({ reqId: 'req-1', level: 30, settings: { secret: '[redacted]' } });
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('reports the level of the logger it stands for, and a level set on it applies to its lines', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info', destination: stream });
    const lazy = lazyChildLoggerFactory(log, { reqId: 'r' }, {});
    expect(lazy.level).toBe('info');
    lazy.debug('hidden');
    lazy.level = 'debug';
    lazy.debug('shown');
    expect(lines.map((l) => l['msg'])).toEqual(['shown']);
    expect(log.level).toBe('info');
  });
});
