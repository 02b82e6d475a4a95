import { describe, expect, it } from 'vitest';

import { RuleSchema, handoffSections } from '../contract/index.js';
import type { Decision, TicketState } from '../contract/index.js';
import { notes, run } from './__fixtures__/decision-helpers.js';
import { cwTicket, loadExample } from './__fixtures__/example-policy.js';
import { compilePolicy } from './compile.js';
import { evaluate } from './evaluate.js';
import { missingSections, renderCustomerNote, renderHandoffNote } from './notes.js';

const example = loadExample();
const acme = example.compile('acme-cw');

describe('handoff note', () => {
  const d = run(acme, { now: '2026-11-24T16:00:00Z' });
  const [note] = notes(d);
  const text = note?.text ?? '';

  it('is an internal note attributed to the winning rule', () => {
    expect(note).toMatchObject({ type: 'note', rule: 't1-timeout', visibility: 'internal', template: 'handoff' });
  });

  it('fills every section from the ticket and the decision', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe('Escalation handoff: T1 → T2');
    expect(text).toContain('Customer: Contoso Ltd');
    expect(text).toContain('Contact: Jane Doe <jane@contoso.example>');
    expect(text).toContain('Environment: Windows 11, Microsoft 365');
    expect(text).toContain(
      'Summary & symptoms: Outlook cannot connect to Exchange\n  Since this morning Outlook shows "Disconnected"',
    );
    expect(text).toContain(
      'Steps taken & results:\n  - 2026-11-24 09:10 EST, alice: Rebooted the PC, no change.\n  - 2026-11-24 09:20 EST, alice: Recreated the Outlook profile',
    );
    expect(text).toContain('Suspected root cause / category: Email/Outlook');
    // P3 resolution = 1,440 business minutes: due Fri 13:00 local (Thanksgiving is a holiday); 22 h left at 11:00.
    expect(text).toContain(
      'Urgency & SLA deadline: Priority 3 - Normal; urgency Medium; resolution due 2026-11-27 13:00 EST (22h 00m business time left)',
    );
    expect(text).toContain('Affected systems & users impacted: PC-JDOE-01; 1 user affected; impact Low');
    expect(text).toContain('Why escalated: t1-timeout (tiered): timeInTier 120 >= 120 business minutes');
    expect(text).toContain('Transition: T1 / alice → T2 / t2.erin (group tier2)');
    expect(text).not.toContain('MISSING');
  });

  it('leaves out our own notes from "steps taken"', () => {
    const ours = run(acme, {
      ticket: {
        recentNotes: [
          { at: '2026-11-24T14:30:00Z', internal: true, text: 'Escalation rule sla-risk matched [esc:1]', ours: true },
          { at: '2026-11-24T14:20:00Z', author: 'bob', internal: false, text: 'Called the user', ours: false },
        ],
      },
      now: '2026-11-24T16:00:00Z',
    });
    const t = notes(ours)[0]?.text ?? '';
    expect(t).toContain('bob: Called the user');
    expect(t).not.toContain('esc:1');
  });

  it('writes MISSING: <key> for every absent required section', () => {
    const bare = run(acme, {
      ticket: {
        company: { id: '1', vip: false },
        contact: undefined,
        environment: undefined,
        description: undefined,
        title: 'Help',
        recentNotes: [],
        category: [],
        urgency: undefined,
        affectedSystems: undefined,
        usersAffected: undefined,
        impact: undefined,
        priority: { id: '99', name: 'Odd', level: null },
      },
      now: '2026-11-24T16:00:00Z',
    });
    const t = notes(bare)[0]?.text ?? '';
    for (const key of [
      'customer',
      'contact',
      'environment',
      'stepsTaken',
      'rootCause',
      'urgency',
      'slaDeadline',
      'impact',
    ])
      expect(t).toContain(`MISSING: ${key}`);
    expect(t).not.toContain('MISSING: summary');
    expect(t).toContain('Why escalated: t1-timeout');
    expect(t).toContain('Transition: T1 / alice → T2 / t2.erin');
  });

  it('writes sections that are not required as "not provided"', () => {
    const lenient = compilePolicy(
      example.input('acme-cw', (p) => ({ ...p, handoff: { required: ['summary'], onMissing: 'flag' } })),
    );
    const t =
      notes(evaluate({ ticket: cwTicket({ environment: undefined }), policy: lenient, now: '2026-11-24T16:00:00Z' }))[0]
        ?.text ?? '';
    expect(t).toContain('Environment: not provided');
    expect(t).not.toContain('MISSING');
  });

  it('shows the raised priority and its deadline when the same decision raises it', () => {
    const t =
      notes(run(acme, { ticket: { title: 'Ransomware on file server' }, now: '2026-11-24T14:05:00Z' }))[0]?.text ?? '';
    // P1 resolution is 240 minutes on the 24×7 calendar (UTC): due 18:00Z.
    expect(t).toContain('Priority 3 - Normal → raised to P1');
    expect(t).toContain('resolution due 2026-11-24 18:00 UTC (3h 55m business time left)');
    expect(t).toContain('Transition: T1 / alice → T3 / sec.carol (group security)');
  });

  it('missingSections lists required keys in order', () => {
    const t = cwTicket({ environment: ' ', recentNotes: undefined });
    expect(missingSections(t, undefined, handoffSections)).toEqual(['environment', 'stepsTaken', 'slaDeadline']);
  });

  it('renders on its own (CLI use) with the calendar zone and a breached deadline', () => {
    const text = renderHandoffNote({
      ticket: cwTicket(),
      rule: { id: 'manual', kind: 'hierarchical' },
      reason: 'asked by a manager',
      from: { tier: 'T2', owner: null },
      to: { tier: 'T3' },
      resolution: {
        dueAt: Date.parse('2026-03-29T08:00:00Z'),
        targetMinutes: 60,
        elapsedMs: 90 * 60_000,
        breached: true,
      },
      timezone: 'Europe/Berlin',
      now: Date.parse('2026-03-29T09:00:00Z'),
      required: handoffSections,
    });
    expect(text).toContain('resolution due 2026-03-29 10:00 GMT+2 (resolution SLA breached)');
    expect(text).toContain('Transition: T2 / unassigned → T3 / unassigned (owner unchanged)');
  });
});

describe('internal, template and customer notes', () => {
  it('note: internal carries rule id, kind and reason text', () => {
    const d = run(acme, { state: { recurringCount: 4 }, now: '2026-11-24T14:05:00Z' });
    expect(notes(d)).toEqual([
      {
        type: 'note',
        rule: 'recurring-incident',
        visibility: 'internal',
        template: 'internal',
        text: 'Escalation rule recurring-incident (hierarchical) matched: recurring 4 similar tickets >= 3',
      },
    ]);
  });

  it('templates render {{ticket.title}}-style fields and never reach prototypes', () => {
    const input = example.input('acme-cw', (p) => ({
      ...p,
      rules: [
        RuleSchema.parse({ id: 'tpl', kind: 'hierarchical', when: { text: 'printer' }, then: { note: 'heads-up' } }),
      ],
    }));
    const policy = compilePolicy({
      ...input,
      templates: {
        'heads-up':
          'Check {{ ticket.title }} for {{ticket.company}} ({{ticket.category}}) [{{ticket.__proto__}}] via {{rule.id}}',
      },
    });
    const d = evaluate({
      ticket: cwTicket({ title: 'Printer jam', category: ['Hardware', 'Printer'] }),
      policy,
      now: '2026-11-24T14:05:00Z',
    });
    expect(notes(d)).toEqual([
      {
        type: 'note',
        rule: 'tpl',
        visibility: 'internal',
        template: 'heads-up',
        text: 'Check Printer jam for Contoso Ltd (Hardware/Printer) [] via tpl',
      },
    ]);
  });

  it('the customer note gives the resolution due time in the calendar’s local time', () => {
    const d = run(acme, {
      state: { fired: [{ rule: 't1-timeout', at: '2026-11-24T16:00:00Z', tier: 'T1' }] },
      now: '2026-11-24T18:00:00Z',
    });
    const customer = notes(d).find((n) => n.visibility === 'customer');
    expect(customer).toEqual({
      type: 'note',
      rule: 'sla-breach',
      visibility: 'customer',
      template: 'customer',
      text: 'We have escalated your request to our senior team. Next update by 2026-11-27 13:00 EST.',
      promisedUpdateBy: '2026-11-27T18:00:00Z', // the same instant, recorded for updateOverdue
    });
    expect(renderCustomerNote({ timezone: 'UTC' })).toBe(
      'We have escalated your request to our senior team. We will update you as soon as possible.',
    );
  });
});

describe('noteTexts: false (callers that only count or identify actions: the backtest)', () => {
  const blank = (d: Decision): Decision => ({
    ...d,
    actions: d.actions.map((a) => (a.type === 'note' ? { ...a, text: '' } : a)),
  });
  const cases: { name: string; state?: TicketState; now: string }[] = [
    { name: 'a handoff note (t1-timeout)', now: '2026-11-24T16:00:00Z' },
    {
      name: 'a customer note with its promise (sla-breach)',
      state: { fired: [{ rule: 't1-timeout', at: '2026-11-24T16:00:00Z', tier: 'T1' }] },
      now: '2026-11-24T18:00:00Z',
    },
  ];
  for (const c of cases) {
    it(`leaves every note text empty and the rest of the decision the same: ${c.name}`, () => {
      const base = { ticket: cwTicket(), ...(c.state ? { state: c.state } : {}), policy: acme, now: c.now };
      const full = evaluate(base);
      const bare = evaluate({ ...base, noteTexts: false });
      expect(notes(full).length).toBeGreaterThan(0);
      expect(notes(full).every((n) => n.text !== '')).toBe(true);
      expect(bare).toEqual(blank(full));
    });
  }
});
