import type { FastifyBaseLogger } from 'fastify';

type LogArgs = [obj: unknown, msg?: string, ...args: unknown[]];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

/**
 * `req.log` made on first use. Fastify builds a pino child per request; with our redaction paths (wildcards such as
 * `*.secret`) pino runs the redaction over the request-id binding of every child it makes, which was a measurable
 * share of a webhook acknowledgement (bench/ack-profile.ts). Most requests never log through `req.log` (a successful
 * one is written once, by the access logger): for them no child is made. When one logs, the child is exactly what
 * Fastify would have made (same parent, bindings and options), so every line and its redaction are unchanged.
 */
class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: ChildOptions,
  ) {}

  private get log(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.#child?.level ?? this.options?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.log.level = level;
  }

  fatal(...args: LogArgs): void {
    (this.log.fatal as (...a: LogArgs) => void)(...args);
  }
  error(...args: LogArgs): void {
    (this.log.error as (...a: LogArgs) => void)(...args);
  }
  warn(...args: LogArgs): void {
    (this.log.warn as (...a: LogArgs) => void)(...args);
  }
  info(...args: LogArgs): void {
    (this.log.info as (...a: LogArgs) => void)(...args);
  }
  debug(...args: LogArgs): void {
    (this.log.debug as (...a: LogArgs) => void)(...args);
  }
  trace(...args: LogArgs): void {
    (this.log.trace as (...a: LogArgs) => void)(...args);
  }
  silent(...args: LogArgs): void {
    (this.log.silent as (...a: LogArgs) => void)(...args);
  }
  child(bindings: Record<string, unknown>, options?: ChildOptions): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }
}

/** Fastify `childLoggerFactory`: see LazyRequestLogger. */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  options: ChildOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
