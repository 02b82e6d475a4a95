import { HttpError, notFoundError } from '../../errors.js';
/** OpenAPI metadata shared by every /api route. */
export const apiDoc = { tags: ['api'], security: [{ bearerAuth: [] }] };
export function knownInstance(services, id) {
    const known = services.instance(id);
    if (!known)
        throw notFoundError();
    return known;
}
/** A PSA call made on an admin's behalf failed: 503 with the connector's code (secret-free) in `details`. */
export function psaFailure(error) {
    return new HttpError('unavailable', `The PSA call failed (${error.code})`, {
        details: { psaError: error.code, ...(error.status === undefined ? {} : { status: error.status }) },
    });
}
//# sourceMappingURL=common.js.map