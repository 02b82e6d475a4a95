import { ConnectorError } from '../../src/contract/index.js';
import type { IdOrName } from '../../src/contract/index.js';

import { conditionString, cwRequest } from './client.js';
import type { CwContext } from './client.js';
import { idString } from './mapping.js';
import { boardStatusSchema, prioritySchema } from './schemas.js';
import type { BoardStatus, ConnectWiseSettings } from './schemas.js';

/** Board statuses and priority ids change rarely: cached an hour, shared by workers through `ctx.cache`. */
const lookupTtlMs = 3_600_000;

/** Active statuses of a board (`GET /service/boards/{id}/statuses`): statuses are board-scoped. */
export async function boardStatuses(ctx: CwContext, board: number): Promise<BoardStatus[]> {
  const key = `cw:statuses:${ctx.instance.id}:${board}`;
  const cached = await ctx.cache.get<BoardStatus[]>(key);
  if (cached) return cached;
  const res = await cwRequest(ctx, {
    method: 'GET',
    path: `/service/boards/${board}/statuses`,
    query: { pageSize: 1000 },
  });
  const rows = Array.isArray(res.data) ? res.data : [];
  const statuses = rows.flatMap((r) => {
    const s = boardStatusSchema.safeParse(r);
    return s.success && s.data.inactive !== true ? [s.data] : [];
  });
  await ctx.cache.set(key, statuses, lookupTtlMs);
  return statuses;
}

const byName = (statuses: BoardStatus[], name: string | undefined) =>
  name === undefined ? undefined : statuses.find((s) => s.name?.trim().toLowerCase() === name.trim().toLowerCase());

/** The configured status for moves onto `board` (`mapping.boardStatusOnMove`: one name, or per board). */
function configuredStatus(settings: ConnectWiseSettings, board: number): string | number | undefined {
  const conf = settings.mapping.boardStatusOnMove;
  if (conf === undefined) return undefined;
  return typeof conf === 'string' ? conf : conf[String(board)];
}

/**
 * The status a move onto another board sets: the configured one, else the current status name if the target board
 * has it, else the board's default status, else its first open status. `undefined` when the board lists none.
 */
export async function statusForMove(
  ctx: CwContext,
  board: number,
  currentName: string | undefined,
): Promise<number | undefined> {
  const want = configuredStatus(ctx.settings, board);
  if (typeof want === 'number') return want;
  const statuses = await boardStatuses(ctx, board);
  const pick =
    byName(statuses, want) ??
    byName(statuses, currentName) ??
    statuses.find((s) => s.defaultFlag === true) ??
    [...statuses].filter((s) => s.closedStatus !== true).sort((a, b) => (a.sortOrder ?? 0) - (b.sortOrder ?? 0))[0];
  if (want !== undefined && byName(statuses, want) === undefined) {
    ctx.log.warn(
      { instance: ctx.instance.id, board, status: want },
      'boardStatusOnMove names no status on the target board',
    );
  }
  return pick?.id;
}

/** A priority id for a write: the mapping's first value, looked up by name when it is not an id (docs/spec.md §3). */
export async function priorityId(ctx: CwContext, value: IdOrName): Promise<number> {
  const direct = idString(value);
  if (direct !== undefined) return Number(direct);
  const name = String(value);
  const key = `cw:priority:${ctx.instance.id}:${name.toLowerCase()}`;
  const cached = await ctx.cache.get<number>(key);
  if (cached !== undefined) return cached;
  const res = await cwRequest(ctx, {
    method: 'GET',
    path: '/service/priorities',
    query: { conditions: `name=${conditionString(name)}`, pageSize: 25 },
  });
  const rows = Array.isArray(res.data) ? res.data : [];
  const hit = rows
    .map((r) => prioritySchema.safeParse(r))
    .find((p) => p.success && p.data.name?.trim().toLowerCase() === name.trim().toLowerCase());
  if (!hit?.success)
    throw new ConnectorError('validation', `ConnectWise has no priority named ${JSON.stringify(name)}`, {
      retryable: false,
    });
  await ctx.cache.set(key, hit.data.id, lookupTtlMs);
  return hit.data.id;
}
