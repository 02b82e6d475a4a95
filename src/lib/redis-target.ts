/**
 * Where Redis is: one string for every topology, so that every process and helper that connects passes the same
 * value (`REDIS_URL`, or what `src/config/env.ts` builds from `REDIS_SENTINELS` / `REDIS_SENTINEL_NAME`).
 *
 * - `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS)
 * - `redis+sentinel://[user:pass@]host:port,host:port/masterName[?db=N&sentinelPassword=…]`, `rediss+sentinel://…`
 *   (TLS to the master and replicas)
 * - `redis+cluster://[user:pass@]host:port,host:port`, `rediss+cluster://…` (TLS): Redis Cluster, the nodes being seeds
 *   (the others are discovered); no database number (Cluster has only db 0). Built from `REDIS_CLUSTER_NODES`.
 * - TLS files on any of them: `?tlsCa=/path&tlsCert=/path&tlsKey=/path` (read when connecting).
 *
 * Docs: docs/redis.md.
 */

export interface RedisHostPort {
  host: string;
  port: number;
}

export interface RedisTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

interface Common {
  username?: string;
  password?: string;
  db?: number;
  /** Present when TLS is on (`rediss`), with the files to trust/present, if any. */
  tls?: RedisTls;
}

export type RedisTarget =
  | ({ kind: 'standalone' } & RedisHostPort & Common)
  | ({ kind: 'sentinel'; sentinels: RedisHostPort[]; masterName: string; sentinelPassword?: string } & Common)
  | ({ kind: 'cluster'; nodes: RedisHostPort[] } & Common);

export type RedisTargetResult = { ok: true; value: RedisTarget } | { ok: false; error: string };

const fail = (error: string): RedisTargetResult => ({ ok: false, error });

function hostPort(text: string, defaultPort: number): RedisHostPort | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/?#@[\]\s,]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m?.[1]) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function tlsOf(query: URLSearchParams, on: boolean): RedisTls | undefined {
  const files: RedisTls = {};
  const ca = query.get('tlsCa');
  const cert = query.get('tlsCert');
  const key = query.get('tlsKey');
  if (ca) files.caFile = ca;
  if (cert) files.certFile = cert;
  if (key) files.keyFile = key;
  return on ? files : undefined;
}

function credentials(userinfo: string): Pick<Common, 'username' | 'password'> {
  if (userinfo === '') return {};
  const i = userinfo.indexOf(':');
  const user = decodeURIComponent(i < 0 ? userinfo : userinfo.slice(0, i));
  const pass = i < 0 ? undefined : decodeURIComponent(userinfo.slice(i + 1));
  return { ...(user ? { username: user } : {}), ...(pass ? { password: pass } : {}) };
}

function hostList(hosts: string, defaultPort: number): RedisHostPort[] | undefined {
  const list = hosts.split(',').map((h) => hostPort(h.trim(), defaultPort));
  return list.length === 0 || list.some((h) => h === undefined) ? undefined : (list as RedisHostPort[]);
}

/** Parses a Redis target string (see the module comment); errors are one line, never echoing a password. */
export function parseRedisTarget(text: string): RedisTargetResult {
  const m = /^(rediss?)(\+sentinel|\+cluster)?:\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(
    text.trim(),
  );
  if (!m)
    return fail(
      'expected redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster:// (host:port[,host:port]/…)',
    );
  const [, scheme = '', mode, userinfo = '', hosts = '', path = '', queryText = ''] = m;
  const sentinel = mode === '+sentinel';
  const query = new URLSearchParams(queryText);
  const tls = tlsOf(query, scheme === 'rediss');
  const common: Common = { ...credentials(userinfo), ...(tls ? { tls } : {}) };
  if (mode === '+cluster') {
    const nodes = hostList(hosts, 6379);
    if (!nodes) return fail('expected cluster nodes as host:port[,host:port…]');
    if (path !== '' || query.has('db'))
      return fail('Redis Cluster has no database number: expected redis+cluster://host:port[,host:port…]');
    return { ok: true, value: { kind: 'cluster', nodes, ...common } };
  }
  const dbText = sentinel ? (query.get('db') ?? '') : path;
  if (dbText !== '') {
    if (!/^\d{1,2}$/.test(dbText)) return fail(`expected a database number, got "${dbText}"`);
    common.db = Number(dbText);
  }
  if (!sentinel) {
    const hp = hostPort(hosts, 6379);
    if (!hp || hosts.includes(','))
      return fail('expected one host[:port] (use redis+sentinel:// or redis+cluster:// for several nodes)');
    return { ok: true, value: { kind: 'standalone', ...hp, ...common } };
  }
  const sentinels = hostList(hosts, 26_379);
  if (!sentinels) return fail('expected sentinels as host:port[,host:port…]');
  const masterName = decodeURIComponent(path);
  if (!/^[\w.-]+$/.test(masterName))
    return fail('expected the master name after the sentinels (redis+sentinel://host:26379/mymaster)');
  const sentinelPassword = query.get('sentinelPassword') ?? undefined;
  return {
    ok: true,
    value: { kind: 'sentinel', sentinels, masterName, ...(sentinelPassword ? { sentinelPassword } : {}), ...common },
  };
}

/** Builds the target string from `REDIS_SENTINELS` ("host:port,host:port") and `REDIS_SENTINEL_NAME`. */
export function sentinelTargetString(options: {
  sentinels: string;
  masterName: string;
  password?: string;
  sentinelPassword?: string;
  tls?: boolean;
}): string {
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const query = options.sentinelPassword ? `?sentinelPassword=${encodeURIComponent(options.sentinelPassword)}` : '';
  const hosts = options.sentinels
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .join(',');
  return `${options.tls ? 'rediss' : 'redis'}+sentinel://${auth}${hosts}/${encodeURIComponent(options.masterName)}${query}`;
}

/** Builds the target string from `REDIS_CLUSTER_NODES` ("host:port,host:port") and `REDIS_PASSWORD`. */
export function clusterTargetString(options: { nodes: string; password?: string; tls?: boolean }): string {
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const hosts = options.nodes
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .join(',');
  return `${options.tls ? 'rediss' : 'redis'}+cluster://${auth}${hosts}`;
}

/** Appends TLS file options to a target string. */
export function withTlsFiles(target: string, files: RedisTls): string {
  const params = new URLSearchParams();
  if (files.caFile) params.set('tlsCa', files.caFile);
  if (files.certFile) params.set('tlsCert', files.certFile);
  if (files.keyFile) params.set('tlsKey', files.keyFile);
  const extra = params.toString();
  if (extra === '') return target;
  return `${target}${target.includes('?') ? '&' : '?'}${extra}`;
}

/** One line for the log: the topology and where, never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  const tls = target.tls ? ', TLS' : '';
  const db = target.db ? `, db ${target.db}` : '';
  if (target.kind === 'standalone') return `standalone ${target.host}:${target.port}${db}${tls}`;
  if (target.kind === 'cluster') {
    const seeds = target.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    return `cluster via ${target.nodes.length} seed node(s) ${seeds}${tls}`;
  }
  const hosts = target.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
  return `sentinel master "${target.masterName}" via ${target.sentinels.length} sentinel(s) ${hosts}${db}${tls}`;
}

/** The topology of a target string in words, for `serve`'s start-up line and `check-config`; never a password. */
export function redisTopology(url: string | undefined): string {
  if (url === undefined) return 'embedded redis-server (REDIS_URL unset)';
  const target = parseRedisTarget(url);
  return target.ok ? describeRedisTarget(target.value) : 'invalid';
}
