/**
 * Deterministic synthetic timelines for bench/backtest.ts (and the worker test): ConnectWise-shaped tickets of the
 * built-in `acme-cw` instance (example policy), about 8 snapshots each over a few business days — notes, status
 * changes with pauses, people reassigning, VIPs, emergencies, network categories, resolutions.
 */

/** A small deterministic PRNG (mulberry32): the same seed gives the same file. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const titles = [
  'Outlook keeps asking for a password',
  'Printer on the 2nd floor jams',
  'VPN drops every hour',
  'New starter needs a mailbox',
  'Laptop fan is loud',
  'Teams calls echo',
  'Shared drive slow',
  'Ransomware note on a PC',
  'Site down at the branch office',
  'Cannot print to PDF',
];
const categories = [
  ['Software', 'Email'],
  ['Hardware', 'Printer'],
  ['Network', 'VPN'],
  ['Accounts'],
  ['Hardware', 'Laptop'],
];
const owners = ['t1.sam', 't1.kim', 't1.lee', 't2.erin', 't2.frank', null];
const statuses = ['open', 'open', 'open', 'waiting_customer', 'open', 'scheduled'];
const T1 = { queue: { id: '1' }, team: { id: '3' } };
const T2 = { queue: { id: '1' }, team: { id: '4' } };

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One JSONL line (no trailing newline). */
export function timelineLine(i: number, instance = 'acme-cw', start = Date.parse('2026-10-05T13:00:00Z')): string {
  const r = rng(i * 2654435761);
  const created = start + Math.floor(r() * 60 * 86_400_000);
  const n = 6 + Math.floor(r() * 5); // 6–10 snapshots, ≈ 8
  const company = Math.floor(r() * 40);
  const cat = categories[Math.floor(r() * categories.length)]!;
  const title = titles[Math.floor(r() * titles.length)]!;
  const vip = company < 3;
  let ticket: Record<string, unknown> = {
    ref: { instance, psa: 'connectwise', id: String(100_000 + i) },
    title,
    description: `${title}. Reported by the customer.`,
    status: { id: 'open', name: 'New', category: 'new' },
    priority: ((p: number) => ({ id: String(p + 3), name: `P${p}`, level: p }))(2 + Math.floor(r() * 3)),
    location: T1,
    tier: 'T1',
    owner: { id: 't1.sam', name: 't1.sam' },
    company: { id: String(company), name: `Client ${company}`, vip },
    category: cat,
    createdAt: iso(created),
    updatedAt: iso(created),
    version: iso(created),
  };
  const snaps = [{ at: iso(created), ticket }];
  let at = created;
  for (let k = 1; k < n; k++) {
    at += Math.floor(r() * 8 * 3_600_000);
    const last = k === n - 1 && r() < 0.85;
    const patch: Record<string, unknown> = { updatedAt: iso(at), version: iso(at) };
    const roll = r();
    if (last)
      Object.assign(patch, { status: { id: 'resolved', name: 'Resolved', category: 'resolved' }, resolvedAt: iso(at) });
    else if (roll < 0.35) patch.status = { id: 's', name: 's', category: statuses[Math.floor(r() * statuses.length)]! };
    else if (roll < 0.5) {
      const owner = owners[Math.floor(r() * owners.length)];
      patch.owner = owner ? { id: owner, name: owner } : null;
    } else if (roll < 0.58) Object.assign(patch, { location: T2, tier: 'T2' });
    else patch.latestNote = `Update ${k}: still investigating.`;
    if (k === 1) patch.firstRespondedAt = iso(at);
    ticket = { ...ticket, ...patch };
    snaps.push({ at: iso(at), ticket });
  }
  return JSON.stringify({ instance, snapshots: snaps });
}
