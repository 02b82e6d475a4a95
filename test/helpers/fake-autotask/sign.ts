import { createHmac } from 'node:crypto';
import { request } from 'node:http';

/**
 * How Autotask writes and signs webhook bodies (autotask.md §2–3): compact JSON whose strings `\u`-escape
 * `& < > ' " \` +` and every character above 0x7F with uppercase hex (.NET System.Text.Json's default encoder),
 * signed `sha1=<base64(HMAC-SHA1(secret, bytes))>` in `X-Hook-Signature`.
 */
const ESCAPE = /[\u0000-\u001f&<>'"`+\\\u007f-\uffff]/g;

function escapeString(s: string): string {
  return `"${s.replace(ESCAPE, (ch) => {
    if (ch === '\\') return '\\\\';
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    return `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  })}"`;
}

/** Serializes like Autotask's sender (property order kept, no whitespace). */
export function autotaskJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escapeString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(autotaskJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${escapeString(k)}:${autotaskJson(v)}`).join(',')}}`;
}

export function autotaskSignature(body: string | Buffer, secret: string): string {
  return `sha1=${createHmac('sha1', Buffer.from(secret, 'utf8')).update(body).digest('base64')}`;
}

export interface Delivery {
  status: number;
  body: unknown;
  text: string;
}

/** POSTs bytes to a receiver like Autotask does (10 s timeout). */
export function deliver(url: string, body: string, headers: Record<string, string>): Promise<Delivery> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('receiver did not answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}
