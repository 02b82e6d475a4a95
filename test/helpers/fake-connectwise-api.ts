import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

import type { FakeConnectWise, FakeCwCallback, FakeCwNote, FakeCwTicket } from './fake-connectwise.js';

/** Route handlers of the fake ConnectWise (see fake-connectwise.ts). Handlers return answers; the router writes them. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  rawPath: string;
  body: unknown;
}
interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const json = (status: number, body?: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body,
  headers,
});
const noEndpoint = () => json(404, { code: 'ConnectWiseApi', message: 'The endpoint does not exist.' });
const invalid = (resource: string, field: string, message: string, code = 'InvalidField') =>
  json(400, {
    code: 'InvalidObject',
    message: `${resource} object is invalid`,
    errors: [{ code, message, resource, field }],
  });
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function write(res: ServerResponse, a: Answer): void {
  const headers = { 'content-type': 'application/json; charset=utf-8', ...a.headers };
  res.writeHead(a.status, headers);
  res.end(a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
}

function authorized(fake: FakeConnectWise, req: IncomingMessage): boolean {
  const want = `Basic ${Buffer.from(`${fake.companyId}+${fake.publicKey}:${fake.privateKey}`).toString('base64')}`;
  return req.headers.authorization === want && req.headers['clientid'] === fake.clientId;
}

export async function route(fake: FakeConnectWise, rc: RouteContext): Promise<void> {
  const { url, method, res } = rc;
  if (/\/system\/callbackkey\/index\.rails$/.test(rc.rawPath)) {
    const keyScript = fake.takeScript(method, rc.rawPath);
    if (keyScript && 'status' in keyScript)
      return write(res, json(keyScript.status, keyScript.body, keyScript.headers));
    if (keyScript?.kind === 'reset') return void rc.req.socket.destroy();
    const okKey =
      url.searchParams.get('companyName') === fake.companyId && url.searchParams.get('id') === fake.callbackKeyId;
    // Served as text, like the amp-labs mock (connectwise.md §3.3): clients must parse JSON whatever the type.
    return write(
      res,
      okKey
        ? {
            status: 200,
            body: JSON.stringify({ signing_key: fake.signingKey }),
            headers: { 'content-type': 'text/plain' },
          }
        : json(404, 'not found'),
    );
  }
  const info = /^\/login\/companyinfo\/([^/]+)$/.exec(url.pathname);
  if (info) {
    if (decodeURIComponent(info[1]!).toLowerCase() !== fake.companyId.toLowerCase())
      return write(res, json(404, { code: 'NotFound', message: 'Company not found' }));
    return write(
      res,
      json(200, {
        CompanyName: 'Acme MSP',
        Codebase: `${fake.codebase}/`,
        VersionCode: 'v2025.1',
        VersionNumber: 'v4.6.111593',
        CompanyID: fake.companyId,
        IsCloud: 'False',
      }),
    );
  }
  const prefix = `/${fake.codebase}/apis/3.0`;
  if (!url.pathname.startsWith(`${prefix}/`)) return write(res, noEndpoint());
  const path = url.pathname.slice(prefix.length);
  const scripted = fake.takeScript(method, path);
  if (scripted && 'status' in scripted) return write(res, json(scripted.status, scripted.body, scripted.headers));
  if (scripted?.kind === 'reset') return void rc.req.socket.destroy();
  if (!authorized(fake, rc.req))
    return write(res, json(401, { code: 'Unauthorized', message: 'Authentication failed' }));
  if (scripted?.kind === 'falseOk') {
    const t = fake.tickets.get(Number(/\/service\/tickets\/(\d+)/.exec(path)?.[1]));
    return write(res, json(200, t ?? {}));
  }
  const answer = await api(fake, method, path, url.searchParams, rc.body);
  if (scripted?.kind === 'commitThenDrop') return void rc.req.socket.destroy();
  write(res, answer);
}

async function api(
  fake: FakeConnectWise,
  method: string,
  path: string,
  q: URLSearchParams,
  body: unknown,
): Promise<Answer> {
  let m: RegExpExecArray | null;
  if ((m = /^\/service\/tickets\/(\d+)$/.exec(path))) {
    const t = fake.tickets.get(Number(m[1]));
    if (!t) return json(404, { code: 'NotFound', message: `Ticket ${m[1]} not found` });
    if (method === 'GET') return json(200, t);
    if (method === 'PATCH') return patchTicket(fake, t, body);
    return json(405, { code: 'MethodNotAllowed', message: 'Method not allowed' });
  }
  if (path === '/service/tickets' && method === 'GET') return listTickets(fake, q, path);
  if ((m = /^\/service\/tickets\/(\d+)\/notes$/.exec(path))) {
    const id = Number(m[1]);
    if (!fake.tickets.has(id)) return json(404, { code: 'NotFound', message: `Ticket ${id} not found` });
    return method === 'POST' ? postNote(fake, id, body) : page(fake.notes.get(id) ?? [], q, path);
  }
  if ((m = /^\/service\/tickets\/(\d+)\/configurations$/.exec(path)) && method === 'GET') {
    const id = Number(m[1]);
    if (!fake.tickets.has(id)) return json(404, { code: 'NotFound', message: `Ticket ${id} not found` });
    return json(200, fake.configurations.get(id) ?? []);
  }
  if ((m = /^\/service\/boards\/(\d+)\/statuses$/.exec(path))) {
    const board = fake.boards.get(Number(m[1]));
    return board
      ? json(
          200,
          board.statuses.map((s) => ({ ...s, board: { id: Number(m![1]) } })),
        )
      : json(404, { code: 'NotFound', message: 'Board not found' });
  }
  if (path === '/service/priorities') {
    const name = /name\s*=\s*"([^"]*)"/.exec(q.get('conditions') ?? '')?.[1];
    return json(
      200,
      fake.priorities.filter((p) => name === undefined || p.name?.toLowerCase() === name.toLowerCase()),
    );
  }
  if (path === '/system/callbacks' || path.startsWith('/system/callbacks/')) return callbacks(fake, method, path, body);
  if (path === '/service/boards' && method === 'GET')
    return json(
      200,
      [...fake.boards].map(([id, b]) => ({ id, name: b.name })),
    );
  if ((m = /^\/service\/boards\/(\d+)\/teams$/.exec(path)) && method === 'GET') {
    const board = fake.boards.get(Number(m[1]));
    return board
      ? json(
          200,
          board.teams.map((t) => ({ ...t, boardId: Number(m![1]) })),
        )
      : json(404, { code: 'NotFound', message: 'Board not found' });
  }
  if (path === '/system/audittrail' && method === 'GET') {
    // Navigable paging only (forward-only paging does not work on audit trail endpoints, connectwise.md §4.7).
    if (q.get('type') !== 'Ticket' || !/^\d+$/.test(q.get('id') ?? ''))
      return invalid('auditTrail', 'id', 'type and id are required');
    const id = Number(q.get('id'));
    if (!fake.tickets.has(id)) return json(404, { code: 'NotFound', message: `Ticket ${id} not found` });
    return page(
      (fake.audit.get(id) ?? []).map((e, i) => ({ ...e, id: i + 1 })),
      q,
      path,
    );
  }
  return noEndpoint();
}

function ref(v: unknown): { id?: number; identifier?: string } {
  return isObj(v)
    ? {
        ...(typeof v['id'] === 'number' ? { id: v['id'] } : {}),
        ...(typeof v['identifier'] === 'string' ? { identifier: v['identifier'] } : {}),
      }
    : {};
}

function patchTicket(fake: FakeConnectWise, t: FakeCwTicket, ops: unknown): Answer {
  if (!Array.isArray(ops)) return invalid('ticket', 'body', 'Patch operations must be an array');
  const next = structuredClone(t) as FakeCwTicket;
  for (const op of ops as { op?: string; path?: string; value?: unknown }[]) {
    const p = String(op?.path ?? '').replace(/^\//, '');
    const value = ref(op?.value);
    // Sub-paths (`owner/identifier`) and unknown paths are silently ignored: the documented false 200.
    if (p === 'board') {
      const board = fake.boards.get(value.id ?? -1);
      if (!board) return invalid('ticket', 'board', 'Board not found');
      next['board'] = { id: value.id, name: board.name };
    } else if (p === 'status' || p === 'priority') {
      next[p] = { id: value.id };
    } else if (p === 'team') {
      if (op.op === 'remove') delete next['team'];
      else next['team'] = { id: value.id };
    } else if (p === 'owner') {
      const member = value.identifier
        ? fake.members.get(value.identifier.toLowerCase())
        : [...fake.members.values()].find((x) => x.id === value.id);
      if (!member) return invalid('ticket', 'owner', 'Member not found');
      next['owner'] = { ...member };
    } else if (p === 'summary' && typeof op.value === 'string') next['summary'] = op.value;
  }
  const board = fake.boards.get((next['board'] as { id?: number } | undefined)?.id ?? -1);
  const status = board?.statuses.find((s) => s.id === (next['status'] as { id?: number } | undefined)?.id);
  if (board && !status) return invalid('ticket', 'status', 'Status is not valid for this board');
  if (status) next['status'] = { id: status.id, name: status.name };
  const teamId = (next['team'] as { id?: number } | undefined)?.id;
  if (board && teamId !== undefined) {
    const team = board.teams.find((x) => x.id === teamId);
    if (!team) return invalid('ticket', 'team', 'Team is not valid for this board');
    next['team'] = { id: team.id, name: team.name };
  }
  const priorityId = (next['priority'] as { id?: number } | undefined)?.id;
  const priority = fake.priorities.find((x) => x.id === priorityId);
  if (priorityId !== undefined && fake.priorities.length > 0 && !priority)
    return invalid('ticket', 'priority', 'Priority not found');
  if (priority) next['priority'] = { ...priority };
  next._info = { ...(t._info ?? {}), lastUpdated: fake.stamp(), updatedBy: fake.apiMember };
  fake.tickets.set(t.id, next);
  void fake.changed(t.id, fake.apiMember);
  return json(200, next);
}

function postNote(fake: FakeConnectWise, ticketId: number, body: unknown): Answer {
  if (!isObj(body) || typeof body['text'] !== 'string' || body['text'] === '')
    return invalid('serviceNote', 'text', 'The text field is required.', 'MissingRequiredField');
  const member = fake.members.get(fake.apiMember.toLowerCase())!;
  const note = fake.addNote(ticketId, {
    ...(body as Partial<FakeCwNote>),
    text: body['text'],
    member: { ...member },
    createdBy: fake.apiMember,
  });
  const t = fake.tickets.get(ticketId)!;
  t._info = { ...(t._info ?? {}), lastUpdated: fake.stamp(), updatedBy: fake.apiMember };
  void fake.changed(ticketId, fake.apiMember);
  return json(201, note);
}

/** Navigable paging (`page`, `pageSize` ≤ 1000, `Link` with next/last) and `orderBy=id desc|asc`. */
function page<T extends { id: number }>(rows: T[], q: URLSearchParams, path: string): Answer {
  const desc = /id\s+desc/i.test(q.get('orderBy') ?? '');
  const sorted = [...rows].sort((a, b) => (desc ? b.id - a.id : a.id - b.id));
  const size = Math.min(Number(q.get('pageSize') ?? 25) || 25, 1000);
  const n = Math.max(Number(q.get('page') ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(sorted.length / size), 1);
  const link = (p: number) => {
    const u = new URLSearchParams(q);
    u.set('page', String(p));
    return `<https://fake${path}?${u.toString()}>`;
  };
  const links = [
    ...(n < last ? [`${link(n + 1)}; rel="next"`] : []),
    ...(n > 1 ? [`${link(n - 1)}; rel="prev"`] : []),
    `${link(1)}; rel="first"`,
    `${link(last)}; rel="last"`,
  ];
  return json(200, sorted.slice((n - 1) * size, n * size), { link: links.join(', ') });
}

function listTickets(fake: FakeConnectWise, q: URLSearchParams, path: string): Answer {
  const cond = q.get('conditions') ?? '';
  const m = /lastUpdated\s*(>=?)\s*\[([^\]]+)\]/i.exec(cond);
  if (cond !== '' && !m)
    return json(400, {
      code: 'InvalidObject',
      message: 'Expected a boolean value, not a numeric. DateTime values should be enclosed in square brackets',
    });
  const since = m ? Date.parse(m[2]!) : -Infinity;
  const rows = [...fake.tickets.values()].filter((t) => {
    const at = Date.parse(t._info?.['lastUpdated'] ?? '');
    return m?.[1] === '>=' ? at >= since : at > since;
  });
  const fields = q
    .get('fields')
    ?.split(',')
    .map((f) => f.trim());
  const answer = page(rows, q, path);
  if (fields && Array.isArray(answer.body))
    answer.body = (answer.body as FakeCwTicket[]).map((t) =>
      Object.fromEntries(fields.filter((f) => f in t).map((f) => [f, t[f]])),
    );
  return answer;
}

function callbacks(fake: FakeConnectWise, method: string, path: string, body: unknown): Answer {
  const id = Number(/^\/system\/callbacks\/(\d+)$/.exec(path)?.[1] ?? NaN);
  if (path === '/system/callbacks' && method === 'GET') return json(200, fake.callbacks);
  if (path === '/system/callbacks' && method === 'POST') {
    if (
      !isObj(body) ||
      typeof body['url'] !== 'string' ||
      typeof body['type'] !== 'string' ||
      typeof body['level'] !== 'string' ||
      typeof body['objectId'] !== 'number'
    ) {
      return invalid('callbackEntry', 'url', 'Invalid URL');
    }
    const same = fake.callbacks.find(
      (c) =>
        c.url === body['url'] &&
        c.type.toLowerCase() === String(body['type']).toLowerCase() &&
        c.level.toLowerCase() === String(body['level']).toLowerCase() &&
        c.objectId === body['objectId'],
    );
    if (same) return invalid('callbackEntry', 'objectId', 'A matching callback entry already exists', 'ObjectExists');
    const entry = {
      inactiveFlag: false,
      ...body,
      id: fake.newId(),
      memberId: 301,
      connectWiseID: randomUUID(),
      _info: { lastUpdated: fake.stamp(), updatedBy: fake.apiMember },
    } as unknown as FakeCwCallback;
    fake.callbacks.push(entry);
    return json(201, entry);
  }
  const i = fake.callbacks.findIndex((c) => c.id === id);
  if (i < 0) return noEndpoint();
  if (method === 'GET') return json(200, fake.callbacks[i]);
  if (method === 'DELETE') {
    fake.callbacks.splice(i, 1);
    return json(204);
  }
  if (method === 'PUT' && isObj(body)) {
    fake.callbacks[i] = { ...fake.callbacks[i]!, ...body, id } as FakeCwCallback;
    return json(200, fake.callbacks[i]);
  }
  return json(405, { code: 'MethodNotAllowed', message: 'Method not allowed' });
}
