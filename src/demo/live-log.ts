import type { AuditEntry } from '../store/models.js';
import type { ReadModels } from '../pipeline/types.js';

import type { Sandbox } from './sandboxes/http.js';

/**
 * The demo's readable output: one block per decision in the audit trail (which PSA and ticket, which rule and why,
 * which move, a note excerpt), lines for what the sandboxes saw written, and the closing summary table.
 */
export const PSA_NAMES: Record<string, string> = { connectwise: 'ConnectWise', autotask: 'Autotask', halo: 'HaloPSA' };

const clockFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
/** `09:05` in the demo calendar's zone (America/New_York). */
export const localTime = (ms: number): string => clockFormat.format(new Date(ms));

const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The lines printed for one audit entry. */
export function formatEntry(e: AuditEntry): string[] {
  const psa = PSA_NAMES[e.psa] ?? e.psa;
  const head = `[${localTime(Date.parse(e.at))}] ${psa} #${e.ticketId}`;
  const lines: string[] = [];
  for (const r of e.decision.reasons) {
    lines.push(`${head}  rule ${r.rule} (${r.kind}): ${r.text}${r.suppressed ? ` [suppressed: ${r.suppressed}]` : ''}`);
  }
  if (lines.length === 0) lines.push(`${head}  decision`);
  const moves: string[] = [];
  for (const a of e.decision.actions) {
    if (a.type === 'reassign')
      moves.push(
        `move ${a.from.tier ?? 'no tier'}/${a.from.owner ?? 'unassigned'} → ${a.tier ?? 'no tier'}${a.group ? ` (${a.group})` : ''}/${a.owner ?? 'owner unchanged'}`,
      );
    else if (a.type === 'priority') moves.push(`priority → ${a.priority}`);
    else if (a.type === 'notify') moves.push(`notify ${a.notifier}`);
    else if (a.type === 'tag') moves.push(`tag ${a.tag}`);
    else moves.push(`${a.visibility} note (${a.template})`);
  }
  const failed = e.results.filter((r) => r.status === 'failed' || r.status === 'dead_letter').length;
  lines.push(`        ⇒ ${moves.join(' · ')}${failed ? `  (${failed} action(s) failed)` : ''}`);
  for (const a of e.decision.actions) if (a.type === 'note') lines.push(`        ✎ "${oneLine(a.text, 110)}"`);
  return lines;
}

/** Polls the audit trail and prints each new decision once, oldest first. */
export class AuditFollower {
  private readonly seen = new Set<string>();
  constructor(
    private readonly read: ReadModels,
    private readonly print: (line: string) => void,
  ) {}

  async poll(): Promise<number> {
    const { items } = await this.read.escalations({ limit: 200 });
    const fresh = items.filter((e) => !this.seen.has(e.id)).reverse();
    for (const e of fresh) {
      this.seen.add(e.id);
      for (const line of formatEntry(e)) this.print(line);
    }
    return fresh.length;
  }
}

/** The summary table, one row per sandbox. */
export function summaryTable(sandboxes: readonly Sandbox[]): string[] {
  const head = [
    'PSA',
    'tickets',
    'escalations written',
    'notes (internal/customer)',
    'duplicates dropped',
    'echoes ignored',
  ];
  const rows = sandboxes.map((s) => [
    PSA_NAMES[s.kind] ?? s.kind,
    String(s.tally.tickets.size),
    String(s.tally.escalationWrites),
    `${s.tally.internalNotes + s.tally.customerNotes} (${s.tally.internalNotes}/${s.tally.customerNotes})`,
    String(s.tally.duplicatesDropped),
    String(s.tally.echoesIgnored),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}
