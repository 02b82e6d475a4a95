import { parseArgs } from 'node:util';
/** A bad command line: printed as one line, exit 1. */
export class UsageError extends Error {
    constructor(message) {
        super(message);
        this.name = 'UsageError';
    }
}
/** `node:util` parseArgs with strict flags; its multi-sentence errors become one short `UsageError` line. */
export function parseFlags(args, options, maxPositionals = 0) {
    let parsed;
    try {
        parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    }
    catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new UsageError(message.split('\n')[0].replace(/\. To specify a positional argument.*$/, ''));
    }
    if (parsed.positionals.length > maxPositionals) {
        throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
    }
    return parsed;
}
/** Writes lines (each ending in a newline). */
export function writeLines(stream, lines) {
    if (lines.length > 0)
        stream.write(`${lines.join('\n')}\n`);
}
//# sourceMappingURL=args.js.map