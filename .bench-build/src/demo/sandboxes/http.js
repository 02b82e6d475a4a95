import { createServer } from 'node:http';
/** Starts `handler` on 127.0.0.1 (a free port unless `port`). */
export async function listen(handler, port = 0) {
    const server = createServer((req, res) => void serve(req, res, handler));
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
    });
    const origin = `http://127.0.0.1:${server.address().port}`;
    return {
        origin,
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}
async function serve(req, res, handler) {
    const chunks = [];
    for await (const c of req)
        chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    let body = text === '' ? undefined : text;
    try {
        if (text !== '')
            body = JSON.parse(text);
    }
    catch {
        // not JSON: handlers see the text (Halo's token form, for one)
    }
    let reply;
    try {
        reply = await handler({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://sandbox'), headers: req.headers, body });
    }
    catch (e) {
        reply = { status: 500, body: { message: e.message } };
    }
    const payload = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8', ...reply.headers });
    res.end(payload);
}
export const json = (status, body, headers) => ({ status, body, ...(headers ? { headers } : {}) });
export const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** POSTs a webhook body (exact bytes) and reads the service's 202 answer. */
export async function postWebhook(url, body, headers, ticketId) {
    try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body, signal: AbortSignal.timeout(10_000) });
        const answer = (await res.json().catch(() => ({})));
        return { ticketId, status: res.status, duplicate: answer.duplicate === true, ...(answer.ignored ? { ignored: answer.ignored } : {}) };
    }
    catch {
        return { ticketId, status: 0, duplicate: false };
    }
}
/** Per-sandbox tally for the summary table. */
export class Tally {
    tickets = new Set();
    /** Ticket writes made by the API user (reassignments, priority changes). */
    escalationWrites = 0;
    internalNotes = 0;
    customerNotes = 0;
    deliveries = [];
    /** Called for every write by the API user: the live log prints it. */
    onWrite;
    write(line) {
        this.onWrite?.(line);
    }
    get duplicatesDropped() {
        return this.deliveries.filter((d) => d.duplicate).length;
    }
    get echoesIgnored() {
        return this.deliveries.filter((d) => d.ignored === 'echo').length;
    }
}
//# sourceMappingURL=http.js.map