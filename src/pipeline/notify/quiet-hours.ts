import type { RedisClient } from '../../store/redis.js';
import { z } from 'zod';

import type { CalendarConfig, HttpClient, Logger, NotifierConfig } from '../../contract/index.js';
import { compileCalendars } from '../../engine/calendar.js';
import type { Keys } from '../../store/keys.js';

import type { NotifyInput } from './notifiers.js';

/**
 * Notifier quiet hours (issue 17): outside the notifier's `quietHours.calendar`, a notification whose rule kind is
 * not in `except` is held in a Redis list instead of sent; when the calendar opens, everything held goes out as one
 * digest. Emergencies (the default `except`) always go at once. Held items live in Redis, so they survive restarts;
 * a digest is moved to a "sending" key before the POST and deleted after it, so a crash mid-send re-sends it
 * (a duplicate digest is better than a lost one).
 */

export const HeldNotificationSchema = z.object({
  at: z.string(),
  instance: z.string(),
  rule: z.string(),
  kind: z.string(),
  ticket: z.object({
    id: z.string(),
    number: z.string().optional(),
    title: z.string(),
    company: z.string().optional(),
  }),
  why: z.string(),
});
export type HeldNotification = z.infer<typeof HeldNotificationSchema>;

export interface QuietHoursOptions {
  notifiers: Readonly<Record<string, NotifierConfig>>;
  calendars: Readonly<Record<string, CalendarConfig>>;
  redis: RedisClient;
  keys: Keys;
  http: HttpClient;
  /** Sends one notification now (the normal notifier). */
  send: (input: NotifyInput) => Promise<void>;
  now: () => number;
  log: Logger;
  /** @defaultValue 5_000 */
  timeoutMs?: number;
}

export interface QuietHoursGate {
  /** Sends at once, or holds it when the notifier is in quiet hours and the rule kind is not excepted. */
  notify(input: NotifyInput): Promise<void>;
  /** Delivers the digest of every notifier whose calendar is open now (called by the background loop). */
  flush(): Promise<void>;
  /** Notifiers that have quiet hours. */
  readonly quiet: readonly string[];
}

export function digestPayload(config: NotifierConfig, notifier: string, items: readonly HeldNotification[]): unknown {
  if (config.kind === 'webhook') return { event: 'digest', notifier, count: items.length, items };
  const lines = items.map(
    (i) => `• ${i.at} ${i.rule} (${i.kind}) on ${i.instance} ticket #${i.ticket.number ?? i.ticket.id}: ${i.why}`,
  );
  return {
    text: `Digest: ${items.length} notification(s) held during quiet hours`,
    blocks: [{ type: 'section', text: { type: 'plain_text', text: lines.join('\n').slice(0, 2900) } }],
  };
}

/** What is kept of a held notification for the digest. */
function held(o: QuietHoursOptions, input: NotifyInput): HeldNotification {
  const reason = input.decision.reasons.find((r) => r.rule === input.rule);
  const t = input.ticket;
  return {
    at: new Date(o.now()).toISOString(),
    instance: input.instanceId,
    rule: input.rule,
    kind: reason?.kind ?? 'hierarchical',
    ticket: {
      id: t.ref.id,
      ...(t.number ? { number: t.number } : {}),
      title: t.title,
      ...(t.company.name ? { company: t.company.name } : {}),
    },
    why: reason?.text ?? '',
  };
}

/** Sends what one notifier held as one digest (taken atomically; kept for the next tick when the POST fails). */
async function sendDigest(o: QuietHoursOptions, name: string, config: NotifierConfig): Promise<void> {
  const sending = o.keys.quietSending(name);
  if ((await o.redis.exists(sending)) === 0) {
    // Atomically take what is held (RENAME fails when nothing is: then there is nothing to send).
    if ((await o.redis.exists(o.keys.quietHeld(name))) === 0) return;
    await o.redis.rename(o.keys.quietHeld(name), sending);
  }
  const raw = await o.redis.lrange(sending, 0, -1);
  const items = raw.flatMap((r) => {
    const parsed = HeldNotificationSchema.safeParse(JSON.parse(r));
    return parsed.success ? [parsed.data] : [];
  });
  if (items.length > 0) {
    await o.http.request({
      method: 'POST',
      url: config.url,
      json: digestPayload(config, name, items),
      timeoutMs: o.timeoutMs ?? 5_000,
      idempotent: true,
      rateLimited: false,
    });
    o.log.info({ notifier: name, count: items.length }, 'quiet hours: digest delivered');
  }
  await o.redis.del(sending);
}

export function createQuietHours(o: QuietHoursOptions): QuietHoursGate {
  const calendars = compileCalendars(o.calendars);
  const quiet = Object.entries(o.notifiers)
    .filter(([, n]) => n.quietHours !== undefined)
    .map(([name]) => name);

  return {
    quiet,
    async notify(input) {
      const config = o.notifiers[input.notifier];
      const qh = config?.quietHours;
      const calendar = qh ? calendars[qh.calendar] : undefined;
      const kind = input.decision.reasons.find((r) => r.rule === input.rule)?.kind ?? 'hierarchical';
      if (!qh || !calendar || calendar.isOpen(o.now()) || qh.except.includes(kind)) return o.send(input);
      await o.redis.rpush(o.keys.quietHeld(input.notifier), JSON.stringify(held(o, input)));
      o.log.info(
        { notifier: input.notifier, rule: input.rule, instance: input.instanceId, ticket: input.ticket.ref.id },
        'quiet hours: notification held for the digest',
      );
    },
    async flush() {
      for (const name of quiet) {
        const config = o.notifiers[name]!;
        const calendar = calendars[config.quietHours!.calendar];
        if (!calendar?.isOpen(o.now())) continue;
        // One sender cluster-wide: a digest is never posted twice by two workers at once.
        const lock = await o.redis.set(o.keys.quietLock(name), '1', 'PX', 30_000, 'NX');
        if (lock !== 'OK') continue;
        try {
          await sendDigest(o, name, config);
        } catch (e) {
          o.log.warn(
            { notifier: name, err: { message: (e as Error).message } },
            'quiet hours: digest not delivered; retried at the next tick',
          );
        } finally {
          await o.redis.del(o.keys.quietLock(name));
        }
      }
    },
  };
}
