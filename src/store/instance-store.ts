import type { RedisClient } from './redis.js';

import type { WebhookState } from '../contract/index.js';
import type { InstanceStatus } from './models.js';

import type { Keys } from './keys.js';

export type PsaHealth = InstanceStatus['psa'];

export interface StoredInstanceStatus {
  webhook: WebhookState;
  lastEventAt: string | null;
  psa: PsaHealth;
  psaCheckedAt: string | null;
  /** Last PSA error code seen (for operators), never the message body; kept after the PSA recovers. */
  psaError: string | null;
  /** When that error happened. */
  psaErrorAt: string | null;
}

const webhookStates: readonly WebhookState[] = ['unknown', 'active', 'inactive', 'missing', 'deactivation_reported'];
const psaStates: readonly PsaHealth[] = ['ok', 'unreachable', 'auth_failed', 'rate_limited', 'unknown'];

/** Per-instance status shown in `GET /api/instances` (docs/spec.md §5), shared by all processes. */
export class InstanceStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async get(instanceId: string): Promise<StoredInstanceStatus> {
    const h = await this.redis.hgetall(this.keys.instance(instanceId));
    return {
      webhook: webhookStates.includes(h.webhook as WebhookState) ? (h.webhook as WebhookState) : 'unknown',
      lastEventAt: h.lastEventAt ?? null,
      psa: psaStates.includes(h.psa as PsaHealth) ? (h.psa as PsaHealth) : 'unknown',
      psaCheckedAt: h.psaCheckedAt ?? null,
      psaError: h.psaError || null,
      psaErrorAt: h.psaErrorAt || null,
    };
  }

  async setWebhook(instanceId: string, state: WebhookState): Promise<void> {
    await this.redis.hset(this.keys.instance(instanceId), 'webhook', state);
  }

  /** Keeps the newest event time (events can be processed out of order). */
  async touchEvent(instanceId: string, atIso: string): Promise<void> {
    const key = this.keys.instance(instanceId);
    const current = await this.redis.hget(key, 'lastEventAt');
    if (current === null || current < atIso) await this.redis.hset(key, 'lastEventAt', atIso);
  }

  /** The PSA's health after a call; an error code is kept (with its time) as the last error until the next one. */
  async setPsa(instanceId: string, psa: PsaHealth, atIso: string, errorCode?: string): Promise<void> {
    const key = this.keys.instance(instanceId);
    if (errorCode)
      await this.redis.hset(key, 'psa', psa, 'psaCheckedAt', atIso, 'psaError', errorCode, 'psaErrorAt', atIso);
    else await this.redis.hset(key, 'psa', psa, 'psaCheckedAt', atIso);
  }

  /** True when no registration check ran for this instance in the last `windowMs` (and claims the window). */
  async claimRegistrationCheck(instanceId: string, windowMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.registrationCheckGuard(instanceId), '1', 'PX', windowMs, 'NX')) === 'OK';
  }
}
