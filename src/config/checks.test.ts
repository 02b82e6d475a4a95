import { describe, expect, it } from 'vitest';

import { connectors } from '../connectors.js';

import type { ConnectorRegistry } from './instances.js';
import { loadConfigText } from './load.js';
import type { EnvVars } from './load.js';
import { formatProblem } from './problems.js';

/**
 * One test per problem kind, each a one-line change to a small valid config. Line numbers refer to BASE below
 * (line 1 = `tiers:`), so every expectation pins path, message and line.
 */
const BASE = `tiers: [T1, T2, T3]
calendars:
  office: { timezone: Europe/Berlin, hours: { mon-fri: "09:00-17:00" } }
notifiers:
  desk: { kind: webhook, url: "https://hooks.example.com/desk" }
groups:
  tier2: { assign: round-robin, members: [ann] }
policies:
  main:
    calendar: office
    rules:
      - id: up
        kind: tiered
        when: { tier: T1, timeInTier: 2h }
        then: { escalateTo: T2, group: tier2, notify: [desk] }
instances:
  - id: cw
    kind: connectwise
    policy: main
    connection: { site: api.example.com, companyId: acme, publicKey: pub, privateKey: priv, clientId: cid, apiMember: escalator-api }
    mapping:
      tiers: { T1: { board: 1 }, T2: { board: 2 } }
      groups: { tier2: { board: 2 } }
      priorities: { P1: [1], P2: [2] }
  - id: halo
    kind: halo
    policy: main
    connection: { apiUrl: "https://halo.example.com/api", clientId: c, clientSecret: s }
    webhook: { basicAuth: { username: u, password: p } }
    mapping:
      tiers: { T1: { team: First }, T2: { team: Second } }
      groups: { tier2: { team: Second } }
      members: { ann: { agent_id: 7 } }
`;

function edit(find: string, replace: string, text = BASE): string {
  if (!text.includes(find)) throw new Error(`test bug: ${find} not in BASE`);
  return text.replace(find, replace);
}
function problemsOf(text: string, env: EnvVars = {}, registry: ConnectorRegistry = connectors): string[] {
  const result = loadConfigText(text, 'test.yaml', env, registry);
  return result.ok
    ? (result.value.warnings ?? []).map((w) => `warning ${formatProblem(w)}`)
    : result.error.map(formatProblem);
}

describe('check: the base config', () => {
  it('is valid and has no warnings', () => {
    expect(problemsOf(BASE)).toEqual([]);
  });
});

describe('check: schema problems', () => {
  it('unknown top-level key (and the missing one it replaced)', () => {
    expect(problemsOf(edit('tiers: [T1, T2, T3]', 'tier: [T1, T2, T3]'))).toEqual([
      'tier: unknown key (did you mean "tiers"?) (line 1)',
      'tiers: is required (line 1)',
      'policies.main.rules[0].when.tier: unknown tier "T1" (none are defined) (line 14)',
      'policies.main.rules[0].then.escalateTo: unknown tier "T2" (known: next) (line 15)',
      'instances[0].mapping.tiers.T1: unknown tier "T1" (none are defined) (line 22)',
      'instances[0].mapping.tiers.T2: unknown tier "T2" (none are defined) (line 22)',
      'instances[1].mapping.tiers.T1: unknown tier "T1" (none are defined) (line 31)',
      'instances[1].mapping.tiers.T2: unknown tier "T2" (none are defined) (line 31)',
    ]);
  });

  it('unknown rule key', () => {
    expect(problemsOf(edit('timeInTier: 2h', 'timeInTier: 2h, priorty: P1'))).toEqual([
      'policies.main.rules[0].when.priorty: unknown key (did you mean "priority"?) (line 14)',
    ]);
  });

  it('bad duration', () => {
    expect(problemsOf(edit('timeInTier: 2h', 'timeInTier: two hours'))).toEqual([
      'policies.main.rules[0].when.timeInTier: expected a duration like "2h", got "two hours" (line 14)',
    ]);
  });

  it('bad instance duration and mode', () => {
    expect(
      problemsOf(
        edit(
          '    policy: main\n    connection: { site',
          '    policy: main\n    mode: dry-run\n    reconcileEvery: 5 minutes\n    connection: { site',
        ),
      ),
    ).toEqual([
      'instances[0].mode: expected one of enforce, observe, got "dry-run" (line 20)',
      'instances[0].reconcileEvery: expected a duration like "2h", got "5 minutes" (line 21)',
    ]);
  });

  it('unknown instance kind (the registry passed in decides what is known)', () => {
    expect(problemsOf(edit('kind: connectwise', 'kind: zendesk'))).toEqual([
      'instances[0].kind: expected one of connectwise, autotask, halo, got "zendesk" (line 18)',
    ]);
    expect(problemsOf(BASE, {}, { halo: connectors.halo })).toEqual([
      'instances[0].kind: expected "halo", got "connectwise" (line 18)',
    ]);
  });

  it('unknown keys in connector settings, instance and mapping', () => {
    const text = edit('apiMember: escalator-api }', 'apiMember: escalator-api, passwrd: x }\n    notes: {}').replace(
      'priorities: { P1: [1], P2: [2] }',
      'priorities: { P1: [1], P2: [2] }\n      tierz: {}',
    );
    expect(problemsOf(text)).toEqual([
      'instances[0].connection.passwrd: unknown key (line 20)',
      'instances[0].notes: unknown key for a connectwise instance (line 21)',
      'instances[0].mapping.tierz: unknown key (did you mean "tiers"?) (line 26)',
    ]);
  });

  it('a member value that fails the connector member schema', () => {
    expect(problemsOf(edit('ann: { agent_id: 7 }', 'ann: { agent_id: "seven" }'))).toEqual([
      'instances[1].mapping.members.ann.agent_id: expected a number, got "seven" (line 33)',
    ]);
  });

  it('never echoes a secret that failed validation', () => {
    const lines = problemsOf(edit('privateKey: priv', 'privateKey: "${CW_PRIVATE}"'), {
      CW_PRIVATE: 'hunter2\r\nX-Evil: 1',
    });
    expect(lines).toEqual([
      'instances[0].connection.privateKey: expected printable ASCII (no CR/LF) (value hidden) (line 20)',
    ]);
    expect(lines.join('')).not.toContain('hunter2');
  });

  it('reads ${NAME} from the file named by NAME_FILE (mounted secrets) when NAME is unset', () => {
    const text = edit('privateKey: priv', 'privateKey: "${CW_PRIVATE}"');
    const files: Record<string, string> = { '/run/secrets/cw': 'from-file\n' };
    const read = (path: string) => {
      const content = files[path];
      if (content === undefined) throw new Error('ENOENT');
      return content.replace(/\n$/, '');
    };
    const result = loadConfigText(text, 't.yaml', { CW_PRIVATE_FILE: '/run/secrets/cw' }, connectors, read);
    expect(
      result.ok &&
        (result.value.instances[0]!.settings as { connection: { privateKey: string } }).connection.privateKey,
    ).toBe('from-file');
    const missing = loadConfigText(text, 't.yaml', { CW_PRIVATE_FILE: '/run/secrets/none' }, connectors, read);
    expect(missing.ok ? [] : missing.error.map(formatProblem)).toEqual([
      'instances[0].connection.privateKey: environment variable CW_PRIVATE is not set (line 20)',
    ]);
  });

  it('invalid IANA time zone', () => {
    expect(problemsOf(edit('Europe/Berlin', 'Europe/Atlantis'))).toEqual([
      'calendars.office.timezone: unknown IANA time zone "Europe/Atlantis" (line 3)',
    ]);
  });

  it('YAML syntax error: one line with its line number', () => {
    expect(problemsOf(edit('    calendar: office', '    calendar: [office'))).toEqual([
      expect.stringMatching(/^\(yaml\): .+ \(line 1[01]\)$/),
    ]);
  });

  it('duplicate YAML keys', () => {
    expect(problemsOf(edit('    calendar: office', '    calendar: office\n    calendar: office'))).toEqual([
      expect.stringMatching(/^\(yaml\): Map keys must be unique.* \(line 11\)$/),
    ]);
  });

  it('empty file', () => {
    expect(problemsOf('# nothing\n')).toEqual(['(root): the file is empty (expected tiers, policies and instances)']);
  });
});

describe('check: cross-references', () => {
  it('tier names not in tiers (rule tier, escalateTo, mapping.tiers keys)', () => {
    const text = edit('when: { tier: T1,', 'when: { tier: [T1, T0],').replace('escalateTo: T2,', 'escalateTo: T9,');
    expect(problemsOf(edit('T2: { board: 2 } }', 'T2: { board: 2 }, T8: { board: 8 } }', text))).toEqual([
      'policies.main.rules[0].when.tier[1]: unknown tier "T0" (known: T1, T2, T3) (line 14)',
      'policies.main.rules[0].then.escalateTo: unknown tier "T9" (known: T1, T2, T3, next) (line 15)',
      'instances[0].mapping.tiers.T8: unknown tier "T8" (known: T1, T2, T3) (line 22)',
    ]);
  });

  it('unknown group, notifier, calendar, policy and note template', () => {
    const text = edit('group: tier2, notify: [desk]', 'group: tier9, notify: [desk, sms], note: summary')
      .replace('calendar: office', 'calendar: offce')
      .replace('    policy: main\n    connection: { apiUrl', '    policy: mian\n    connection: { apiUrl');
    expect(problemsOf(text)).toEqual([
      'policies.main.calendar: unknown calendar "offce" (known: office, always) (line 10)',
      'policies.main.rules[0].then.group: unknown group "tier9" (known: tier2) (line 15)',
      'policies.main.rules[0].then.note: unknown note "summary" (known: handoff, internal) (line 15)',
      'policies.main.rules[0].then.notify[1]: unknown notifier "sms" (known: desk) (line 15)',
      'instances[1].policy: unknown policy "mian" (known: main) (line 27)',
    ]);
  });

  it('"next" is reserved and tiers are unique', () => {
    expect(problemsOf(edit('tiers: [T1, T2, T3]', 'tiers: [T1, T2, T3, T2, next]'))).toEqual([
      'tiers[3]: duplicate tier "T2" (line 1)',
      'tiers[4]: "next" is reserved (escalateTo: next), choose another tier name, got "next" (line 1)',
    ]);
  });

  it('duplicate instance ids', () => {
    expect(problemsOf(edit('  - id: halo', '  - id: cw'))).toEqual([
      'instances[1].id: duplicate instance id "cw" (also instances[0]) (line 25)',
    ]);
  });

  it('the same location under two tiers, and twice under one', () => {
    expect(problemsOf(edit('T2: { board: 2 } }', 'T2: [{ board: 2 }, { board: 2 }], T3: { board: 1 } }'))).toEqual([
      'instances[0].mapping.tiers.T2[1]: location {board: 2} is listed twice under tier T2; a location belongs to one tier (line 22)',
      'instances[0].mapping.tiers.T3: location {board: 1} is already under tier T1; a location belongs to one tier (line 22)',
    ]);
  });

  it('a Halo team name matches case-insensitively, so "first" clashes with "First"', () => {
    expect(problemsOf(edit('T2: { team: Second } }', 'T2: { team: Second }, T3: { team: first } }'))).toEqual([
      'instances[1].mapping.tiers.T3: location {team: "first"} is already under tier T1; a location belongs to one tier (line 31)',
    ]);
  });

  it('a status under two categories, a priority under two levels', () => {
    const text = edit(
      'priorities: { P1: [1], P2: [2] }',
      'priorities: { P1: [1], P2: [2, 1] }\n      statuses: { resolved: [Done, 5], closed: ["done", "5"] }',
    );
    expect(problemsOf(text)).toEqual([
      'instances[0].mapping.priorities.P2[1]: priority "1" is already mapped to P1 (line 24)',
      'instances[0].mapping.statuses.closed[0]: status "done" is already mapped to resolved (line 25)',
      'instances[0].mapping.statuses.closed[1]: status "5" is already mapped to resolved (line 25)',
    ]);
  });

  it('group + escalateTo whose group location is not in that tier (per instance)', () => {
    expect(problemsOf(edit('groups: { tier2: { board: 2 } }', 'groups: { tier2: { board: 1 } }'))).toEqual([
      'instances[0].mapping.groups.tier2: location {board: 1} of group tier2 is not under tier T2, but rule up of policy main escalates to T2 with group tier2 (line 23)',
    ]);
  });

  it('mapping.groups keys that are not groups; location keys the connector does not know', () => {
    expect(
      problemsOf(edit('groups: { tier2: { board: 2 } }', 'groups: { tier2: { board: 2 }, netwrk: { queue: 5 } }')),
    ).toEqual([
      'instances[0].mapping.groups.netwrk: unknown group "netwrk" (known: tier2) (line 23)',
      'instances[0].mapping.groups.netwrk.queue: unknown location key for connectwise (expected board, team) (line 23)',
    ]);
  });

  it('assign strategies need their members / oncall block', () => {
    expect(
      problemsOf(
        edit(
          'tier2: { assign: round-robin, members: [ann] }',
          'tier2: { assign: least-loaded }\n  ops: { assign: oncall, members: [ann] }',
        ),
      ),
    ).toEqual([
      'groups.tier2.members: assign "least-loaded" needs at least one member (line 7)',
      'groups.ops.assign: assign "oncall" needs an oncall block {rotation, start, every} (line 8)',
    ]);
  });
});

describe('check: warnings', () => {
  it('a member without a mapping.members entry where the connector requires one (not for ConnectWise)', () => {
    expect(problemsOf(edit('members: [ann] }', 'members: [ann, bob] }'))).toEqual([
      'warning instances[1].mapping.members: member "bob" of group tier2 has no entry, so it can\'t be assigned in this halo instance (line 33)',
    ]);
  });

  it('a group a rule uses that has no location in an instance', () => {
    expect(problemsOf(edit('      groups: { tier2: { team: Second } }\n', ''))).toEqual([
      'warning instances[1].mapping.groups: group "tier2" (rule up) has no location in this instance, so that move can\'t happen here (line 30)',
    ]);
  });

  it('a mapping.members entry for someone in no group', () => {
    expect(
      problemsOf(edit('members: { ann: { agent_id: 7 } }', 'members: { ann: { agent_id: 7 }, zed: { agent_id: 8 } }')),
    ).toEqual(['warning instances[1].mapping.members.zed: is not a member of any group (line 33)']);
  });
});

describe('check: advised minimums are warnings, not errors', () => {
  it('a short dedupeTtl or reconcileEvery loads with a warning; zero is an error', () => {
    expect(problemsOf(`${BASE}dedupeTtl: 10m\n`)).toEqual([
      'warning dedupeTtl: below 72h: a PSA redelivery after that would be processed again (the event id is the only replay defence) (line 34)',
    ]);
    expect(
      problemsOf(
        edit(
          '    policy: main\n    connection: { site',
          '    policy: main\n    reconcileEvery: 5s\n    connection: { site',
        ),
      ),
    ).toEqual([
      'warning instances[0].reconcileEvery: sweeps more often than every 30s spend the PSA rate budget for little gain (line 20)',
    ]);
    expect(problemsOf(`${BASE}dedupeTtl: 0\n`)).toEqual([
      'dedupeTtl: expected at least 1s (72h recommended) (line 34)',
    ]);
  });

  it('retention.tickets: a duration of at least 1s; below 1d loads with a warning', () => {
    expect(problemsOf(`${BASE}retention: { tickets: 30d }\n`)).toEqual([]);
    expect(problemsOf(`${BASE}retention: { tickets: 2h }\n`)).toEqual([
      'warning retention.tickets: below 1d: a ticket reopened after its record expired starts over as if first seen (notes already posted are recognised by their marker) (line 34)',
    ]);
    expect(problemsOf(`${BASE}retention: { tickets: 0 }\n`)).toEqual([
      'retention.tickets: expected at least 1s (30d recommended) (line 34)',
    ]);
    expect(problemsOf(`${BASE}retention: { tickets: 1y }\n`)).toEqual([
      'retention.tickets: expected a duration like "2h", got "1y" (line 34)',
    ]);
    expect(problemsOf(`${BASE}retention: { audit: 0, deadLetters: 0s }\n`)).toEqual([
      'retention.audit: expected at least 1s (90d recommended) (line 34)',
      'retention.deadLetters: expected at least 1s (30d recommended) (line 34)',
    ]);
  });
});

describe('check: tolerance', () => {
  it('reads an optional section left empty (all entries commented out) as empty', () => {
    expect(problemsOf(`${BASE}templates:\n  # none yet\n`)).toEqual([]);
  });

  it('still checks the other sections when the top level has problems', () => {
    expect(problemsOf(`${BASE}retention: { audit: 1y }\nextra: true\n`)).toEqual([
      'retention.audit: expected a duration like "2h", got "1y" (line 34)',
      'extra: unknown key (line 35)',
    ]);
  });
});

describe('check: follow-through keys (issue 17)', () => {
  it('accepts calendarFor, date overrides, notPickedUpFor and updateOverdue', () => {
    const text = edit(
      'calendar: office\n',
      'calendar: office\n    calendarFor: [{ company: [42, "Wallaby"], calendar: office }, { site: ["Sydney"], calendar: always }]\n',
      edit(
        'hours: { mon-fri: "09:00-17:00" } }',
        'hours: { mon-fri: "09:00-17:00" }, overrides: { "2026-12-24": ["09:00-12:00"], "2026-12-31": [] } }',
        edit('timeInTier: 2h', 'timeInTier: 2h, notPickedUpFor: 30m, updateOverdue: true'),
      ),
    );
    expect(problemsOf(text)).toEqual([]);
  });

  it('names the YAML path of each bad value', () => {
    expect(problemsOf(edit('timeInTier: 2h', 'timeInTier: 2h, notPickedUpFor: soon'))).toEqual([
      'policies.main.rules[0].when.notPickedUpFor: expected a duration like "2h", got "soon" (line 14)',
    ]);
    expect(problemsOf(edit('timeInTier: 2h', 'timeInTier: 2h, updateOverdue: false'))).toHaveLength(1);
    expect(problemsOf(edit('timeInTier: 2h', 'timeInTier: 2h, updateOverdue: false'))[0]).toMatch(
      /^policies\.main\.rules\[0\]\.when\.updateOverdue: .*\(line 14\)$/,
    );
    expect(
      problemsOf(
        edit(
          'url: "https://hooks.example.com/desk" }',
          'url: "https://hooks.example.com/desk", quietHours: { calendar: nights } }',
        ),
      ),
    ).toEqual(['notifiers.desk.quietHours.calendar: unknown calendar "nights" (known: office, always) (line 5)']);
    expect(
      problemsOf(
        edit(
          'url: "https://hooks.example.com/desk" }',
          'url: "https://hooks.example.com/desk", quietHours: { calendar: office, except: [emergency, urgent] } }',
        ),
      )[0],
    ).toMatch(/^notifiers\.desk\.quietHours\.except\[1\]: .*\(line 5\)$/);
    expect(
      problemsOf(
        edit(
          'calendar: office\n',
          'calendar: office\n    rca: { after: [emergency, T9], within: 5d, notify: [pager] }\n',
        ),
      ),
    ).toEqual([
      'policies.main.rca.after[1]: "T9" is neither a rule kind nor a tier (known: tiered, functional, hierarchical, emergency, T1, T2, T3) (line 11)',
      'policies.main.rca.notify[0]: unknown notifier "pager" (known: desk) (line 11)',
    ]);
    expect(
      problemsOf(edit('calendar: office\n', 'calendar: office\n    rca: { after: [emergency], within: soon }\n')),
    ).toEqual(['policies.main.rca.within: expected a duration like "2h", got "soon" (line 11)']);
    expect(
      problemsOf(
        edit('calendar: office\n', 'calendar: office\n    calendarFor: [{ company: [42], calendar: sydney }]\n'),
      ),
    ).toEqual(['policies.main.calendarFor[0].calendar: unknown calendar "sydney" (known: office, always) (line 11)']);
    const bad = problemsOf(
      edit(
        'hours: { mon-fri: "09:00-17:00" } }',
        'hours: { mon-fri: "09:00-17:00" }, overrides: { "2026-12-24": ["9-12"] } }',
      ),
    );
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(
      /^calendars\.office\.overrides\.2026-12-24\[0\]: expected comma-separated HH:MM-HH:MM ranges.*\(line 3\)$/,
    );
  });
});
