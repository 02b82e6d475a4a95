/** Parses `Retry-After` (RFC 9110: delay-seconds or an HTTP-date) into milliseconds, clamped to [0, capMs]. */
export function parseRetryAfter(value, nowMs, capMs = 3_600_000) {
    if (value === undefined || value.trim() === '')
        return undefined;
    const v = value.trim();
    let ms;
    if (/^\d+$/.test(v))
        ms = Number(v) * 1000;
    else {
        const at = Date.parse(v);
        if (Number.isNaN(at))
            return undefined;
        ms = at - nowMs;
    }
    return Math.min(Math.max(ms, 0), capMs);
}
//# sourceMappingURL=retry-after.js.map