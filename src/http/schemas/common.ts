import { z } from 'zod';

import { errorCodes } from '../errors.js';

/** `{"error":{"code","message","details?"}}` (docs/spec.md §5). */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(errorCodes as [string, ...string[]]).describe('Stable error code (docs/spec.md §5)'),
    message: z.string().describe('Human-readable; never contains internals or secrets'),
    details: z.unknown().optional().describe('Validation issues as [{path, message}], or other structured detail'),
  }),
});

type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 429 | 500 | 503;

/** Response schemas for the error statuses a route can answer (documentation + serialization). */
export function errorResponses<const S extends ErrorStatus>(...statuses: S[]): Record<S, typeof ErrorBodySchema> {
  const out = {} as Record<S, typeof ErrorBodySchema>;
  for (const s of statuses) out[s] = ErrorBodySchema;
  return out;
}

export const InstantString = z.string().describe('ISO-8601 instant, e.g. 2026-11-24T14:18:00Z');
