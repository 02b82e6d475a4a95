import { z } from 'zod';
import { errorCodes } from '../errors.js';
/** `{"error":{"code","message","details?"}}` (SPEC §5). */
export const ErrorBodySchema = z
    .object({
    error: z.object({
        code: z.enum(errorCodes).describe('Stable error code (SPEC §5)'),
        message: z.string().describe('Human-readable; never contains internals or secrets'),
        details: z.unknown().optional().describe('Validation issues as [{path, message}], or other structured detail'),
    }),
});
/** Response schemas for the error statuses a route can answer (documentation + serialization). */
export function errorResponses(...statuses) {
    const out = {};
    for (const s of statuses)
        out[s] = ErrorBodySchema;
    return out;
}
export const InstantString = z.string().describe('ISO-8601 instant, e.g. 2026-11-24T14:18:00Z');
//# sourceMappingURL=common.js.map