/** Thrown (by code) when Redis can't take the event: the route answers 503 `unavailable`. */
export class PipelineUnavailableError extends Error {
    code = 'unavailable';
    constructor(message, options) {
        super(message, options);
        this.name = 'PipelineUnavailableError';
    }
}
//# sourceMappingURL=types.js.map