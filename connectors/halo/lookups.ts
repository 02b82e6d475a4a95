import { ConnectorError } from '../../src/contract/index.js';

import { haloRequest } from './client.js';
import type { HaloContext } from './client.js';
import { agentSchema, parseList, prioritySchema, statusSchema, teamSchema } from './schemas.js';

/** Cached lookups (shared by workers via `ctx.cache`): ids ↔ names are tenant-specific (halo.md §6). */
export interface NamedId {
  id: number;
  name: string;
}
export interface PriorityRow {
  priorityid: number;
  slaid: number | null;
  name: string;
}

const TEN_MINUTES = 600_000;

async function cached<T>(
  ctx: HaloContext,
  what: string,
  ttlMs: number,
  load: () => Promise<T>,
  fresh = false,
): Promise<T> {
  const cacheKey = `halo:${ctx.instance.id}:${what}`;
  if (!fresh) {
    const hit = await ctx.cache.get<T>(cacheKey);
    if (hit !== undefined) return hit;
  }
  const value = await load();
  await ctx.cache.set(cacheKey, value, ttlMs);
  return value;
}

function listOrThrow<T>(list: { items: T[] } | null, what: string): T[] {
  if (!list) throw new ConnectorError('invalid_response', `Halo ${what} answer is neither a list nor a wrapped list`);
  return list.items;
}

/** The agent our API token acts as (`GET /api/Agent/me`): its changes are echoes (docs/spec.md §4). */
export async function ownAgentId(ctx: HaloContext): Promise<string> {
  return cached(ctx, 'agent-me', 3_600_000, async () => {
    const res = await haloRequest(ctx, { method: 'GET', path: '/Agent/me' });
    const me = agentSchema.safeParse(res.data);
    if (!me.success) throw new ConnectorError('invalid_response', 'Halo /Agent/me answered without an id');
    return String(me.data.id);
  });
}

/** `GET /api/Status` (ids are not portable between tenants: statuses are mapped by name, halo.md §6). */
export async function statuses(ctx: HaloContext, fresh = false): Promise<NamedId[]> {
  return cached(
    ctx,
    'statuses',
    TEN_MINUTES,
    async () => {
      const res = await haloRequest(ctx, { method: 'GET', path: '/Status', query: { showall: true } });
      return listOrThrow(parseList(res.data, 'statuses', statusSchema), 'Status').map((s) => ({
        id: s.id,
        name: s.name,
      }));
    },
    fresh,
  );
}

/** `GET /api/Team`: ticket `team` is a name (pitfall 1); this map gives ids and the canonical spelling. */
export async function teams(ctx: HaloContext, fresh = false): Promise<NamedId[]> {
  return cached(
    ctx,
    'teams',
    TEN_MINUTES,
    async () => {
      const res = await haloRequest(ctx, { method: 'GET', path: '/Team' });
      return listOrThrow(parseList(res.data, 'teams', teamSchema), 'Team').map((t) => ({ id: t.id, name: t.name }));
    },
    fresh,
  );
}

/** `GET /api/Priority`: per-SLA rows; `priorityid` is the ticket's `priority_id` (pitfall 7). */
export async function priorities(ctx: HaloContext, fresh = false): Promise<PriorityRow[]> {
  return cached(
    ctx,
    'priorities',
    TEN_MINUTES,
    async () => {
      const res = await haloRequest(ctx, { method: 'GET', path: '/Priority' });
      return listOrThrow(parseList(res.data, 'priorities', prioritySchema), 'Priority').map((p) => ({
        priorityid: p.priorityid,
        slaid: p.slaid ?? null,
        name: p.name,
      }));
    },
    fresh,
  );
}

/** Runs a lookup whose failure must not fail the caller (names are nice to have); logs and returns undefined. */
export async function optional<T>(ctx: HaloContext, what: string, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (e) {
    ctx.log.warn({ lookup: what, code: (e as ConnectorError).code }, 'Halo lookup failed; continuing without it');
    return undefined;
  }
}
