import { describe, expect, it } from 'vitest';

import { attempt, toConnectorError } from './attempt.js';
import { echoIdentity } from './echo-identity.js';
import { ConnectorError } from './errors.js';
import { carriesMarker, hasMarker, markerOf, markerText, parseMarker, withMarker } from './marker.js';

describe('note marker (one format, one parser for every connector)', () => {
  it('derives the marker from the action id and finds it in a text', () => {
    expect(markerOf('7f3a2c1d99887766')).toBe('[esc:7f3a2c1d]');
    expect(parseMarker('Handoff…\n\n[esc:7f3a2c1d]')).toBe('[esc:7f3a2c1d]');
    expect(parseMarker('no marker [esc:XYZ] [esc:12345]')).toBeUndefined();
    expect(hasMarker(null)).toBe(false);
  });

  it('matches one marker exactly, bare or bracketed, and appends it once', () => {
    expect(markerText('7f3a2c')).toBe('[esc:7f3a2c]');
    expect(carriesMarker('text [esc:7f3a2c]', '7f3a2c')).toBe(true);
    expect(carriesMarker('text [esc:7f3a2c]', '[esc:abcdef]')).toBe(false);
    expect(carriesMarker('text [esc:zz]', '[esc:zz]')).toBe(false); // malformed markers never match
    expect(withMarker('Hello', '[esc:7f3a2c]')).toBe('Hello\n\n[esc:7f3a2c]');
    expect(withMarker('Hello [esc:7f3a2c]', '[esc:7f3a2c]')).toBe('Hello [esc:7f3a2c]');
  });
});

describe('attempt / toConnectorError (one error style)', () => {
  it('turns thrown errors into values; bugs become internal', async () => {
    expect(await attempt(async () => 42)).toEqual({ ok: true, value: 42 });
    const gone = await attempt(async () => {
      throw new ConnectorError('not_found', 'gone');
    });
    expect(gone).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(toConnectorError(new TypeError('boom'))).toMatchObject({ code: 'internal', message: 'boom' });
    expect(toConnectorError({ code: 'rate_limited', message: 'slow down', retryable: true })).toBeInstanceOf(
      ConnectorError,
    );
  });
});

describe('echoIdentity (memoised, refreshed in the background, within a time budget)', () => {
  function setup() {
    let now = 0;
    const ctx = { cache: {}, clock: { now: () => new Date(now) } };
    return { ctx, advance: (ms: number) => void (now += ms) };
  }

  it('shares one lookup between concurrent first deliveries, then answers from the memo', async () => {
    const { ctx } = setup();
    let calls = 0;
    const lookUp = async () => {
      calls += 1;
      return 'agent-38';
    };
    const first = await Promise.all(
      [1, 2, 3].map(() => echoIdentity(ctx as never, { key: 'k', lookUp, budgetMs: 1_000 })),
    );
    expect(first).toEqual(['agent-38', 'agent-38', 'agent-38']);
    expect(await echoIdentity(ctx as never, { key: 'k', lookUp, budgetMs: 1_000 })).toBe('agent-38');
    expect(calls).toBe(1);
  });

  it('does not hold a delivery longer than the budget; the late answer serves the next one', async () => {
    const { ctx } = setup();
    let release: (v: string) => void = () => undefined;
    const slow = new Promise<string>((resolve) => (release = resolve));
    expect(await echoIdentity(ctx as never, { key: 'k', lookUp: () => slow, budgetMs: 10 })).toBeUndefined();
    release('agent-38');
    await slow;
    await new Promise((r) => setImmediate(r));
    expect(await echoIdentity(ctx as never, { key: 'k', lookUp: () => slow, budgetMs: 10 })).toBe('agent-38');
  });

  it('keeps the last answer while a stale memo refreshes, and after a failed refresh', async () => {
    const { ctx, advance } = setup();
    expect(await echoIdentity(ctx as never, { key: 'k', lookUp: async () => 'a', budgetMs: 100, freshMs: 1_000 })).toBe(
      'a',
    );
    advance(1_001);
    const failing = async (): Promise<string> => {
      throw new Error('PSA down');
    };
    expect(await echoIdentity(ctx as never, { key: 'k', lookUp: failing, budgetMs: 100, freshMs: 1_000 })).toBe('a');
    await new Promise((r) => setImmediate(r));
    expect(await echoIdentity(ctx as never, { key: 'k', lookUp: failing, budgetMs: 100, freshMs: 1_000 })).toBe('a');
  });

  it('keeps instances apart (keyed by their shared cache object)', async () => {
    const a = setup().ctx;
    const b = setup().ctx;
    expect(await echoIdentity(a as never, { key: 'k', lookUp: async () => 'a', budgetMs: 100 })).toBe('a');
    expect(await echoIdentity(b as never, { key: 'k', lookUp: async () => 'b', budgetMs: 100 })).toBe('b');
  });
});
