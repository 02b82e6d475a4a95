import { existsSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// These machines have no Docker engine (CONTRIBUTING.md): the Dockerfile and compose file are checked statically.

interface Instruction {
  keyword: string;
  args: string;
}

/** Minimal Dockerfile reader: joins continuation lines, drops comments and blank lines. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [keyword = '', ...rest] = l.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = instructions(readFileSync('Dockerfile', 'utf8'));
const stages = dockerfile.reduce<Instruction[][]>((acc, ins) => {
  if (ins.keyword === 'FROM') acc.push([]);
  acc.at(-1)?.push(ins);
  return acc;
}, []);
const finalStage = stages.at(-1) ?? [];

describe('Dockerfile', () => {
  it('is multi-stage and every stage is on node:24-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]?.args).toMatch(/^node:24-slim(\s+AS\s+\w+)?$/i);
  });

  it('runs the final stage as a non-root user', () => {
    const users = finalStage.filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
  });

  it('declares a HEALTHCHECK against /healthz in the final stage', () => {
    const hc = finalStage.find((i) => i.keyword === 'HEALTHCHECK');
    expect(hc?.args).toContain('/healthz');
  });

  it('starts through an init process and the package bin', () => {
    const entry = finalStage.find((i) => i.keyword === 'ENTRYPOINT');
    expect(entry?.args).toContain('tini');
    expect(entry?.args).toContain('bin/psa-escalator.js');
  });

  it('runs node with the smaller young generation bench/ack.ts measures (RSS after a burst < 150 MB)', () => {
    const env = finalStage
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/NODE_OPTIONS="?--max-semi-space-size=8/);
  });

  it('copies only paths that exist in the repository', () => {
    const sources = dockerfile
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) expect(existsSync(src), src).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
    services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
  };

  it('runs redis:7 with AOF and noeviction', () => {
    const redis = compose.services.redis;
    expect(redis?.image).toMatch(/^redis:7/);
    const cmd = redis?.command?.join(' ') ?? '';
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
    expect(cmd).toContain('--hz 100');
  });

  it('runs the api and worker roles against that redis', () => {
    expect(compose.services.api?.command).toEqual(['serve', '--role', 'api']);
    expect(compose.services.worker?.command).toEqual(['serve', '--role', 'worker']);
    expect(compose.services.api?.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(compose.services.worker?.environment?.REDIS_URL).toBe('redis://redis:6379');
  });
});
