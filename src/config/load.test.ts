import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { exampleEnv, fixturesDir } from '../../test/fixtures/config/example-env.js';
import { connectors } from '../connectors.js';

import { loadConfigFile, loadConfigText } from './load.js';
import { formatProblem } from './problems.js';
import type { AppConfig, ConfigProblem } from './types.js';

const examplePath = new URL('../../examples/escalator.yaml', import.meta.url).pathname;
const fixture = (name: string) => join(fixturesDir, name);

function loaded(result: ReturnType<typeof loadConfigText>): AppConfig {
  if (!result.ok) throw new Error(`expected a valid config:\n${result.error.map(formatProblem).join('\n')}`);
  return result.value;
}
function problems(result: ReturnType<typeof loadConfigText>): string[] {
  if (result.ok) throw new Error('expected problems, the config loaded');
  return result.error.map(formatProblem);
}

describe('examples/escalator.yaml', () => {
  it('loads with its env vars set, with durations in ms and per-kind settings', () => {
    const config = loaded(loadConfigFile(examplePath, exampleEnv, connectors));
    expect(config.source).toBe(examplePath);
    expect(config.tiers).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(config.instances.map((i) => [i.info.id, i.info.kind, i.info.mode])).toEqual([
      ['acme-cw', 'connectwise', 'enforce'],
      ['globex-at', 'autotask', 'enforce'],
      ['initech-halo', 'halo', 'enforce'],
    ]);
    const policy = config.policies['standard']!;
    expect(policy.rules).toHaveLength(12);
    expect(policy.rules[4]!.when.timeInTier).toBe(2 * 3_600_000);
    expect(policy.limits.respectManualChangesFor).toBe(4 * 3_600_000);
    expect(policy.sla.P1).toEqual({ firstResponse: 15 * 60_000, resolution: 240 * 60_000, calendar: 'always' });
    expect(config.groups['security']!.oncall!.every).toBe(7 * 86_400_000);
    expect(config.notifiers['managers']!.url).toBe(exampleEnv['MANAGERS_WEBHOOK_URL']);
    expect(config.warnings).toEqual([]);
    // Connector settings went through each connector's own schema (interpolated values included).
    const cw = config.instances[0]!.settings as {
      connection: { publicKey: string };
      webhook: { keyUrlHosts: string[] };
    };
    expect(cw.connection.publicKey).toBe('cw-public');
    expect(cw.webhook.keyUrlHosts).toEqual(['na.myconnectwise.net', 'sandbox-na.myconnectwise.net']);
    expect(config.instances[1]!.info.mapping.members['t2.erin']).toEqual({ resourceID: 29684003, roleID: 29683002 });
  });

  it('applies the docs/spec.md §7 defaults', () => {
    const config = loaded(loadConfigFile(examplePath, exampleEnv, connectors));
    const [cw, at, halo] = config.instances;
    expect(cw!.info.rateLimit).toEqual({ requests: 600, per: 60_000 });
    expect(at!.info.rateLimit).toEqual({ requests: 3000, per: 3_600_000, concurrency: 2 });
    expect(halo!.info.rateLimit).toEqual({ requests: 250, per: 300_000 });
    expect(at!.reconcileEveryMs).toBe(300_000);
    expect(config.retention).toEqual({
      auditMs: 90 * 86_400_000,
      deadLettersMs: 30 * 86_400_000,
      ticketsMs: 30 * 86_400_000,
    });
    expect(config.dedupeTtlMs).toBe(72 * 3_600_000);
    expect(config.templates).toEqual({});
    expect(config.instances[1]!.info.mapping.vipCompanies).toEqual([174]);
    expect(config.instances[2]!.info.mapping.vipCompanies).toEqual([]);
  });

  it('reports every missing variable with its path and line', () => {
    const lines = problems(loadConfigFile(examplePath, {}, connectors));
    // The expected line numbers are read from the file, so adding a commented key above them does not break this.
    const lineOf = (text: string) =>
      readFileSync(examplePath, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes(text)) + 1;
    expect(lines).toHaveLength(13); // MANAGERS_WEBHOOK_URL is used twice (managers, managers-quiet)
    expect(lines[0]).toBe(
      `notifiers.managers.url: environment variable MANAGERS_WEBHOOK_URL is not set (line ${lineOf('${MANAGERS_WEBHOOK_URL}')})`,
    );
    expect(lines).toContain(
      `instances[2].webhook.basicAuth.password: environment variable HALO_WEBHOOK_PASSWORD is not set (line ${lineOf('${HALO_WEBHOOK_PASSWORD}')})`,
    );
  });
});

describe('minimal fixture', () => {
  const config = loaded(loadConfigFile(fixture('minimal.yaml'), {}, connectors));

  it('adds the built-in always calendar and keeps instance overrides', () => {
    expect(Object.keys(config.calendars)).toEqual(['office', 'always']);
    expect(config.calendars['always']).toEqual({ timezone: 'UTC', hours: { 'mon-sun': '00:00-24:00' }, holidays: [] });
    const halo = config.instances[2]!;
    expect(halo.info.mode).toBe('observe');
    expect(halo.reconcileEveryMs).toBe(600_000);
    expect(halo.info.rateLimit).toEqual({ requests: 100, per: 60_000 });
    expect(config.templates).toEqual({ 'heads-up': 'Escalated {{ticket.title}}' });
  });

  it('fills policy defaults (vip factor 1, no pauses, limits 3/day and 4h, full handoff, flag)', () => {
    const policy = config.policies['main']!;
    expect(policy.vip).toEqual({ slaFactor: 1 });
    expect(policy.pauseOn).toEqual([]);
    expect(policy.limits).toEqual({ maxAutoEscalationsPerDay: 3, respectManualChangesFor: 4 * 3_600_000 });
    expect(policy.handoff.onMissing).toBe('flag');
    expect(policy.handoff.required).toHaveLength(9);
  });

  it('warns (does not fail) on a group member without a PSA identity where one is required', () => {
    expect(config.warnings).toEqual<ConfigProblem[]>([
      {
        path: 'instances[2].mapping.members',
        message: 'member "bob" of group tier2 has no entry, so it can\'t be assigned in this halo instance',
        line: 55,
        severity: 'warning',
      },
    ]);
  });
});

describe('bad fixture: every problem in one run, in source order, with exact paths and lines', () => {
  it('prints the expected lines', () => {
    const result = loadConfigFile(fixture('bad.yaml'), {}, connectors);
    expect(problems(result)).toEqual([
      'calendars.office.timezone: unknown IANA time zone "Mars/Olympus_Mons" (line 4)',
      'notifiers.desk.url: environment variable DESK_WEBHOOK_URL is not set (line 11)',
      'groups.tier3.assign: assign "oncall" needs an oncall block {rotation, start, every} (line 14)',
      'templates.handoff: "handoff" is a built-in note and can\'t be a template name (line 16)',
      'policies.main.sla.P1.calendar: unknown calendar "weekends" (known: office, night, always) (line 21)',
      'policies.main.rules[0].when.timeInTier: expected a duration like "2h", got "two hours" (line 25)',
      'policies.main.rules[1].when.timeInTeir: unknown key (did you mean "timeInTier"?) (line 29)',
      'policies.main.rules[2].when.any[0].tier: unknown tier "T9" (known: T1, T2, T3) (line 33)',
      'policies.main.rules[2].when.any[1].outsideCalendar: unknown calendar "holidays" (known: office, night, always) (line 33)',
      'policies.main.rules[2].then.escalateTo: unknown tier "T5" (known: T1, T2, T3, next) (line 34)',
      'policies.main.rules[2].then.group: unknown group "nobody" (known: tier2, tier3) (line 34)',
      'policies.main.rules[2].then.note: unknown note "fancy" (known: handoff, internal) (line 34)',
      'policies.main.rules[2].then.notify[1]: unknown notifier "pager" (known: desk) (line 34)',
      'policies.main.rules[4].id: duplicate rule id "t1-timeout" (also rules[0]) (line 39)',
      'instances[0].mapping.tiers.T2[1]: location {board: 1} is already under tier T1; a location belongs to one tier (line 51)',
      'instances[0].mapping.tiers.T7: unknown tier "T7" (known: T1, T2, T3) (line 52)',
      'instances[0].mapping.groups.network: unknown group "network" (known: tier2, tier3) (line 53)',
      'instances[0].mapping.groups.tier2: location {board: 2} of group tier2 is not under tier T3, but rule security of policy main escalates to T3 with group tier2 (line 53)',
      'instances[0].mapping.statuses.closed[0]: status "done" is already mapped to resolved (line 54)',
      'instances[1].id: duplicate instance id "cw" (also instances[0]) (line 55)',
      'instances[1].policy: unknown policy "other" (known: main) (line 57)',
      'instances[1].mapping.tiers.T2.queue: unknown location key for autotask (expected queueID) (line 61)',
      'instances[1].mapping.members.ann.roleID: is required (line 64)',
      'instances[1].mapping.members: member "bob" of group tier2 has no entry, so it can\'t be assigned in this autotask instance (line 63)',
    ]);
    if (!result.ok) {
      expect(result.error.at(-1)!.severity).toBe('warning');
      expect(result.error.filter((p) => p.severity === 'error')).toHaveLength(23);
    }
  });

  it('names an unreadable file in one problem', () => {
    expect(problems(loadConfigFile(fixture('does-not-exist.yaml'), {}, connectors))).toEqual([
      `${fixture('does-not-exist.yaml')}: file not found`,
    ]);
  });
});
