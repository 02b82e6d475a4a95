import pino from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

/**
 * Paths redacted from every log line (docs/reliability.md §4 #17). Secrets live in connection/webhook settings,
 * Authorization headers and signature headers; `censor` replaces them wholesale.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers["x-content-signature"]',
  'req.headers["x-hook-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers.Authorization',
  'headers.secret',
  'headers.Secret',
  'headers.clientId',
  'headers.ApiIntegrationCode',
  '*.authorization',
  '*.Authorization',
  '*.password',
  '*.privateKey',
  '*.publicKey',
  '*.secret',
  '*.secretKey',
  '*.previousSecretKey',
  '*.clientSecret',
  '*.apiKey',
  '*.signing_key',
  '*.basicAuth',
  '*.previousBasicAuth',
  '*.access_token',
  '*.token',
  'err.config.headers',
  'err.config.data',
  'err.cause.config.headers',
  'config.headers',
];

export interface LoggerOptions {
  /** @defaultValue 'info' */
  level?: string;
  /** Where lines go. @defaultValue stdout */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export type AppLogger = PinoLogger;

export function createLogger(options: LoggerOptions = {}): AppLogger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'psa-escalator', ...(options.base ?? {}) },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/**
 * A logger for per-request access lines only: same destination stream, level and bindings as `base`, but no
 * redaction pass. pino's wildcard redaction (`*.secret` …) re-walks every top-level key of every line, which made
 * it the single largest cost of a webhook acknowledgement (bench/ack.ts). An access line carries only fields we
 * build ourselves (method, path without query string, client IP, status, duration, request id), never a secret.
 */
export function accessLoggerFor(base: AppLogger): AppLogger {
  const stream = (base as unknown as Record<symbol, DestinationStream | undefined>)[pino.symbols.streamSym];
  return pino(
    { level: base.level, base: base.bindings(), timestamp: pino.stdTimeFunctions.isoTime },
    stream ?? pino.destination(1),
  );
}
