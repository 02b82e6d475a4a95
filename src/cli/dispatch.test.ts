import { describe, expect, it } from 'vitest';

import { UsageError } from './args.js';
import type { CliCommand, CliIo, VerbEntry } from './args.js';
import { runCli } from './dispatch.js';

function fakeIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env,
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    cwd: '/',
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

const calls: string[][] = [];
const command =
  (run: CliCommand['run']): (() => Promise<CliCommand>) =>
  async () => ({ usage: 'Usage: test verb', run });
const verbs: Record<string, VerbEntry> = {
  ok: { summary: 'succeeds', load: command(async (args) => (calls.push(args), 0)) },
  'webhooks register': { summary: 'two words', load: command(async (args) => (calls.push(['webhooks', ...args]), 0)) },
  usage: {
    summary: 'bad flags',
    load: command(async () => {
      throw new UsageError('--instance ID is required');
    }),
  },
  boom: {
    summary: 'throws',
    load: command(async () => {
      throw new Error('redis-server not found');
    }),
  },
  exits: { summary: 'returns 3', load: command(async () => 3) },
};

describe('runCli', () => {
  it('dispatches one- and two-word verbs with the remaining arguments', async () => {
    calls.length = 0;
    expect(await runCli(verbs, ['ok', 'a', '--b'], fakeIo().io)).toBe(0);
    expect(await runCli(verbs, ['webhooks', 'register', '--instance', 'x'], fakeIo().io)).toBe(0);
    expect(calls).toEqual([
      ['a', '--b'],
      ['webhooks', '--instance', 'x'],
    ]);
  });

  it('passes the verb exit code through', async () => {
    expect(await runCli(verbs, ['exits'], fakeIo().io)).toBe(3);
  });

  it('lists every verb on --help (exit 0) and on no arguments (stderr, exit 1)', async () => {
    const help = fakeIo();
    expect(await runCli(verbs, ['--help'], help.io)).toBe(0);
    expect(help.out()).toContain('webhooks register  two words');
    const none = fakeIo();
    expect(await runCli(verbs, [], none.io)).toBe(1);
    expect(none.err()).toContain('Commands:');
  });

  it('prints a verb usage for <verb> --help without running it', async () => {
    calls.length = 0;
    const t = fakeIo();
    expect(await runCli(verbs, ['ok', '--help'], t.io)).toBe(0);
    expect(t.out()).toBe('Usage: test verb\n');
    expect(calls).toEqual([]);
  });

  it('answers an unknown verb with one line and exit 1', async () => {
    const t = fakeIo();
    expect(await runCli(verbs, ['serv'], t.io)).toBe(1);
    expect(t.err()).toBe('psa-escalator: unknown command "serv" (run `psa-escalator --help` for the list)\n');
    const two = fakeIo();
    expect(await runCli(verbs, ['webhooks', 'list'], two.io)).toBe(1);
    expect(two.err()).toContain('unknown command "webhooks list"');
  });

  it('turns usage errors and failures into one line each, exit 1', async () => {
    const u = fakeIo();
    expect(await runCli(verbs, ['usage'], u.io)).toBe(1);
    expect(u.err()).toBe('psa-escalator usage: --instance ID is required (see psa-escalator usage --help)\n');
    const b = fakeIo();
    expect(await runCli(verbs, ['boom'], b.io)).toBe(1);
    expect(b.err()).toBe('psa-escalator boom: redis-server not found\n');
  });

  it('adds the stack only at LOG_LEVEL=debug', async () => {
    const t = fakeIo({ LOG_LEVEL: 'debug' });
    await runCli(verbs, ['boom'], t.io);
    expect(t.err().split('\n').length).toBeGreaterThan(3);
  });
});
