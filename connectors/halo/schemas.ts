import { z } from 'zod';

import { IdOrNameSchema } from '../../src/contract/index.js';
import type { LocationKeySpec, RateLimit } from '../../src/contract/index.js';

// ------------------------------------------------------------------ instance settings (escalator.yaml)

const headerSafe = z
  .string()
  .min(1)
  .regex(/^[\x20-\x7e]+$/, { message: 'expected printable ASCII (no CR/LF)' });
/** Basic-auth credentials Halo sends with every delivery (halo.md §2.2). A `:` in the user name would be ambiguous. */
const basicAuth = z
  .object({
    username: headerSafe.refine((u) => !u.includes(':'), { message: 'a Basic-auth user name may not contain ":"' }),
    password: headerSafe,
  })
  .strict();
const noteSettings = z.object({ outcome: z.string().min(1) }).strict();

/** Instance settings for HaloPSA (docs/spec.md §7; see ../../docs/psa/halo.md). */
export const settingsSchema = z.object({
  connection: z
    .object({
      tenantUrl: z.url().optional(),
      /** Resource server base (`…/api`); defaults to `{tenantUrl}/api`. */
      apiUrl: z.url().optional(),
      /** Authorisation server base (`…/auth`); discovered via `/api/authinfo` when absent (halo.md §1.1). */
      authUrl: z.url().optional(),
      /** Hosted tenants: `?tenant=` on the token request (halo.md §1.2). */
      tenant: z.string().min(1).optional(),
      clientId: headerSafe,
      clientSecret: headerSafe,
      /** @defaultValue 'all' */
      scope: z.string().min(1).optional(),
    })
    .strict()
    .refine((c) => c.tenantUrl !== undefined || c.apiUrl !== undefined, { message: 'expected tenantUrl or apiUrl' }),
  webhook: z
    .object({
      basicAuth,
      /** Accepted as well while a password rotation is under way. */
      previousBasicAuth: basicAuth.optional(),
      /** Optional second factor: sender addresses (CIDRs or single addresses, IPv4 or IPv6). */
      allowIps: z
        .array(
          z
            .string()
            .min(1)
            .refine((c) => parseCidr(c) !== null, { message: 'expected a CIDR such as 203.0.113.0/24' }),
        )
        .optional(),
    })
    .strict(),
  /**
   * Action outcomes used for notes (halo.md §5: tenant-specific, must be allowed by the ticket type's workflow).
   * @defaultValue internal `Private Note`, customer `Email User`
   */
  notes: z.object({ internal: noteSettings, customer: noteSettings }).partial().strict().default({}),
  mapping: z
    .looseObject({
      /** Status (id or name) to set when a ticket moves team; absent → the status is left alone. */
      statusOnMove: IdOrNameSchema.optional(),
    })
    .default({}),
});
export type HaloSettings = z.infer<typeof settingsSchema>;

/** `mapping.members` value: the Halo agent. */
export const memberSchema = z.object({ agent_id: z.number().int().positive() }).strict();

export const locationKeys: LocationKeySpec = { team: { field: 'team', by: 'name', caseInsensitive: true } };

/** Sources disagree on Halo's limit (≈ 300–700 per 5 min); default below the lowest (docs/spec.md §4). */
export const rateLimitDefaults: RateLimit = { requests: 250, per: 300_000 };

// ------------------------------------------------------------------ PSA payloads (trust boundary: parsed, never trusted)

/** Halo numbers "may travel as strings" (halo.md §4.4). */
export const intish = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\s*-?\d+\s*$/)
    .transform((s) => Number(s)),
]);

/** `POST {authUrl}/token` answer (halo.md §1.2). */
export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
});

/** `GET /api/authinfo` (no auth): where the token endpoint lives. */
export const authInfoSchema = z.looseObject({
  auth_url: z.string().min(1).optional(),
  tenant_id: z.union([z.string(), z.number()]).optional(),
});

/** A ticket (`Faults`) as far as we rely on it: an object with an integer id; everything else is read defensively. */
export const ticketSchema = z.looseObject({ id: intish });

/** An action (note); read defensively by the normalizer. */
export const actionSchema = z.looseObject({ id: intish.optional() });
export type ActionRow = z.output<typeof actionSchema>;

export const agentSchema = z.looseObject({ id: intish, name: z.string().nullish() });
export const statusSchema = z.looseObject({ id: intish, name: z.string() });
export const teamSchema = z.looseObject({ id: intish, name: z.string() });
/** `Policy`: `id` is a GUID; `priorityid` is what tickets carry as `priority_id` (halo.md §6, pitfall 7). */
export const prioritySchema = z.looseObject({ priorityid: intish, slaid: intish.nullish(), name: z.string() });

/** An outbound webhook registration (`/api/Webhook`, halo.md §2.1). */
export const webhookRegistrationSchema = z.looseObject({
  id: z.union([z.string(), z.number()]),
  name: z.string().nullish(),
  type: intish.nullish(),
  url: z.string().nullish(),
  active: z.boolean().nullish(),
  authentication_type: intish.nullish(),
  basic_username: z.string().nullish(),
  basic_password: z.string().nullish(),
  events: z.array(z.unknown()).nullish(),
});
export type WebhookRegistration = z.infer<typeof webhookRegistrationSchema>;

/**
 * Halo list answers come both bare (`[...]`) and wrapped (`{"record_count":N,"<plural>":[...]}`) depending on the
 * endpoint and build (halo.md §6): accept both. Items that do not match are dropped, never thrown on.
 */
export function parseList<T extends z.ZodType>(
  body: unknown,
  key: string,
  item: T,
): { items: z.output<T>[]; recordCount?: number; rawCount: number } | null {
  let raw: unknown;
  let recordCount: number | undefined;
  if (Array.isArray(body)) raw = body;
  else if (typeof body === 'object' && body !== null) {
    const wrapped = body as Record<string, unknown>;
    raw = wrapped[key];
    // A count only when it is one (null, '' or true would read as 0 or 1 and end a paging loop early).
    const rc = wrapped.record_count;
    const n = typeof rc === 'number' ? rc : typeof rc === 'string' && /^\s*\d+\s*$/.test(rc) ? Number(rc) : NaN;
    if (Number.isSafeInteger(n) && n >= 0) recordCount = n;
  }
  if (!Array.isArray(raw)) return null;
  const items: z.output<T>[] = [];
  for (const entry of raw) {
    const parsed = item.safeParse(entry);
    if (parsed.success) items.push(parsed.data);
  }
  // rawCount: rows the server sent, valid or not (a page is short by what was sent, not by what passed the schema).
  return recordCount === undefined ? { items, rawCount: raw.length } : { items, recordCount, rawCount: raw.length };
}

// ------------------------------------------------------------------ CIDR allow-list for webhook senders (pure)

/**
 * CIDR allow-list for webhook senders (the optional second factor next to Basic auth, docs/spec.md §7 `webhook.allowIps`).
 * Pure and dependency-free: connectors may not import `node:net` (they get I/O only through their context).
 */

export interface Cidr {
  v6: boolean;
  base: bigint;
  bits: number;
}

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let out = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out = (out << 8n) | BigInt(n);
  }
  return out;
}

function parseV6(s: string): bigint | null {
  let text = s.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded dotted IPv4 tail (`::ffff:192.0.2.1`) becomes two hextets.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.') && lastColon >= 0) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let out = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    out = (out << 16n) | BigInt(parseInt(g, 16));
  }
  return out;
}

/** Parses an address into {v6, value}; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) reads as IPv4. */
export function parseIp(raw: string): { v6: boolean; value: bigint } | null {
  const s = raw.trim().replace(/^\[|\]$/g, '');
  if (s.includes(':')) {
    const v = parseV6(s);
    if (v === null) return null;
    if (v >> 32n === 0xffffn) return { v6: false, value: v & 0xffffffffn };
    return { v6: true, value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { v6: false, value: v };
}

/** `203.0.113.0/24`, `2001:db8::/32` or a bare address (= /32 or /128). Null when invalid. */
export function parseCidr(raw: string): Cidr | null {
  const [addr, prefix, extra] = raw.trim().split('/');
  if (addr === undefined || extra !== undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const max = ip.v6 ? 128 : 32;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return null;
  const bits = prefix === undefined ? max : Number(prefix);
  if (bits > max) return null;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(max - bits);
  return { v6: ip.v6, base: ip.value & mask, bits };
}

/** True when `ip` lies in one of the CIDRs. Unparseable addresses never match. */
export function ipAllowed(ip: string, cidrs: readonly Cidr[]): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  return cidrs.some((c) => {
    if (c.v6 !== addr.v6) return false;
    const max = c.v6 ? 128 : 32;
    const mask = c.bits === 0 ? 0n : ((1n << BigInt(c.bits)) - 1n) << BigInt(max - c.bits);
    return (addr.value & mask) === c.base;
  });
}
