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
