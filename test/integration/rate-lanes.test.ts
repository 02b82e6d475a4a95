import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SharedRateLimiter } from '../../src/pipeline/outbound/rate-limiter.js';
import { createKeys } from '../../src/store/keys.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

// Issue 13 "budgets that hold": sweeps spend at most 20 % of an instance's budget, sweeps + background work at most
// half, so live webhooks always keep at least half — enforced call by call in the shared Redis limiter.

let redis: TestRedis;
let client: Redis;
const keys = createKeys();

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client.disconnect();
  await redis.close();
});

describe('rate budget lanes', () => {
  it('caps the sweep lane at 20 % and sweep + background at 50 %; live calls use the rest', async () => {
    const limiter = new SharedRateLimiter({
      redis: client,
      keys,
      instanceId: 'lanes',
      limit: { requests: 10, per: 60_000 },
      maxWaitMs: 0,
    });
    const take = async (lane: 'live' | 'background' | 'sweep'): Promise<boolean> => {
      try {
        (await limiter.acquire(lane))();
        return true;
      } catch (e) {
        expect(e).toMatchObject({ code: 'rate_limited' });
        return false;
      }
    };
    expect([await take('sweep'), await take('sweep'), await take('sweep')]).toEqual([true, true, false]);
    expect([
      await take('background'),
      await take('background'),
      await take('background'),
      await take('background'),
    ]).toEqual([true, true, true, false]);
    // 5 of 10 spent by background work (2 of them sweeps): every remaining call is for live webhooks.
    const live = [];
    for (let i = 0; i < 6; i++) live.push(await take('live'));
    expect(live).toEqual([true, true, true, true, true, false]);
  });
});
