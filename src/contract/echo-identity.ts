import type { ConnectorContext } from './connector.js';

/**
 * Our own API identity (ConnectWise member, Autotask resource, Halo agent) for echo detection on the webhook path
 * (docs/contract.md "Echoes"). Every delivery asks, so the answer is memoised per instance runtime (keyed by its
 * shared cache object: nothing leaks into another service in the same process) and the lookup gets a time budget:
 *
 * - fresh memo → answered at once (no Redis or PSA round trip per delivery);
 * - stale memo → the last answer at once, while ONE refresh runs in the background;
 * - nothing known yet → the first deliveries share one lookup and wait for it at most `budgetMs`;
 * - a failed or slow lookup never fails or holds a delivery: it answers `undefined` (or the last answer) and the
 *   next try comes after `freshMs`. A missed echo costs one evaluation (the worker re-fetches, its guards never
 *   repeat an action); a wrong one would drop a real event.
 */
export interface EchoIdentityOptions<T> {
  /** Names the identity in the memo (`'autotask:apiResource'`): one instance may memoise more than one. */
  key: string;
  /** The lookup (shared cache, then the PSA). May throw: the error is swallowed. */
  lookUp: () => Promise<T | undefined>;
  /** How long a delivery waits for the first lookup. */
  budgetMs: number;
  /** How long an answer (or a failure) is trusted before the next lookup. @defaultValue 60_000 */
  freshMs?: number;
}

interface Memo {
  /** False until the first lookup has ended. */
  known: boolean;
  value: unknown;
  freshUntil: number;
  refreshing?: Promise<unknown> | undefined;
}

const memos = new WeakMap<object, Map<string, Memo>>();

function memoOf(ctx: Pick<ConnectorContext, 'cache'>, key: string): Memo {
  // Read on every delivery: written only the first time (a WeakMap write per delivery is not free).
  let byKey = memos.get(ctx.cache);
  if (!byKey) memos.set(ctx.cache, (byKey = new Map<string, Memo>()));
  let memo = byKey.get(key);
  if (!memo) byKey.set(key, (memo = { known: false, value: undefined, freshUntil: 0 }));
  return memo;
}

/** The promise's value if it settles within `ms`, else undefined (the work goes on and fills the memo). */
async function withinBudget<T>(work: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Our identity for echo detection: memoised, refreshed in the background, within a time budget (see above). */
export async function echoIdentity<T>(
  ctx: Pick<ConnectorContext, 'cache' | 'clock'>,
  options: EchoIdentityOptions<T>,
): Promise<T | undefined> {
  const memo = memoOf(ctx, options.key);
  const freshMs = options.freshMs ?? 60_000;
  if (!memo.refreshing && (!memo.known || ctx.clock.now().getTime() >= memo.freshUntil)) {
    const refresh = options
      .lookUp()
      .then(
        (value) => (value === undefined ? memo.value : (memo.value = value)),
        () => memo.value,
      )
      .finally(() => {
        memo.known = true;
        memo.freshUntil = ctx.clock.now().getTime() + freshMs;
        memo.refreshing = undefined;
      });
    memo.refreshing = refresh;
  }
  if (memo.known) return memo.value as T | undefined;
  return (
    (await withinBudget(memo.refreshing as Promise<T | undefined>, options.budgetMs)) ?? (memo.value as T | undefined)
  );
}
