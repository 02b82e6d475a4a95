import type { IncomingMessage, ServerResponse } from 'node:http';

import { listenRaw } from '../../src/demo/sandboxes/http.js';
import type { Listening } from '../../src/demo/sandboxes/http.js';

/** The server of a test fake, listening on loopback (`origin`); `close()` stops it. */
export type Loopback = Listening;

/**
 * Serves `handle` on 127.0.0.1 at a free port: the start and stop every fake PSA (and proxy) of the tests shares, the
 * demo sandboxes' own (`listenRaw`). Open connections, requests in flight included, are dropped on `close()` unless
 * `dropConnectionsOnClose` is false.
 */
export function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
  options: { dropConnectionsOnClose?: boolean } = {},
): Promise<Loopback> {
  return listenRaw(handle, options);
}

/** An answer a test scripts for the next matching request(s) of a fake: it wins over the fake's real behaviour. */
export interface ScriptedFailure {
  method?: string;
  /** The request path (the fake says which part), or a pattern. */
  path: string | RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** @defaultValue 1 */
  times?: number;
}

/** The scripted answers of a fake, first match first, each used up after `times` requests. */
export class FailureScript<F extends ScriptedFailure = ScriptedFailure> {
  private readonly queue: F[] = [];

  /** `caseInsensitive`: a string `path` matches whatever its case (Autotask's paths). */
  constructor(private readonly options: { caseInsensitive?: boolean } = {}) {}

  add(failure: F): void {
    this.queue.push({ times: 1, ...failure });
  }

  /** The scripted answer for this request, if any (counted as used). */
  take(method: string, path: string): F | undefined {
    const same = (a: string) => (this.options.caseInsensitive ? a.toLowerCase() === path.toLowerCase() : a === path);
    const i = this.queue.findIndex(
      (f) => (!f.method || f.method === method) && (typeof f.path === 'string' ? same(f.path) : f.path.test(path)),
    );
    if (i < 0) return undefined;
    const f = this.queue[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.queue.splice(i, 1);
    return f;
  }
}

/** A fake PSA served on loopback: `start()` listens at a free port (`origin`), `close()` stops it. */
export abstract class LoopbackFake {
  /** `http://127.0.0.1:<port>` once started. */
  origin = '';
  private loopback?: Loopback;

  /** False: requests in flight finish on `close()` rather than being dropped. */
  protected dropConnectionsOnClose = true;

  async start(): Promise<this> {
    this.loopback = await listenLoopback((req, res) => this.handle(req, res), {
      dropConnectionsOnClose: this.dropConnectionsOnClose,
    });
    this.origin = this.loopback.origin;
    return this;
  }

  async close(): Promise<void> {
    await this.loopback?.close();
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}
