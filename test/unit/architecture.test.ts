import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { cruise } from 'dependency-cruiser';
import type { ICruiseOptions, ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

// The layering (docs/architecture.md), checked on every unit run by dependency-cruiser itself with the rule set of
// `npm run lint` (.dependency-cruiser.cjs): deny by default, type-only imports included.

const ruleSet = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as ICruiseOptions['ruleSet'] & {
  allowedSeverity?: string;
  options: ICruiseOptions & { tsConfig: { fileName: string } };
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === '__fixtures__') return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

const files = [...walk('src'), ...walk('connectors')];

describe('architecture', () => {
  it('denies every import the layering does not allow (type-only imports included)', async () => {
    expect(ruleSet?.allowedSeverity).toBe('error');
    expect(ruleSet?.options.tsPreCompilationDeps).toBe(true);
    const { options, ...rules } = ruleSet!;
    const { output } = await cruise(
      ['src', 'connectors', 'bench', 'scripts'],
      { ...options, ruleSet: rules, validate: true },
      undefined,
      { tsConfig: extractTSConfig(options.tsConfig.fileName) },
    );
    const violations = (output as ICruiseResult).summary.violations.map((v) => `${v.from} → ${v.to} (${v.rule.name})`);
    expect(violations, 'imports against the layering (.dependency-cruiser.cjs)').toEqual([]);
  }, 180_000);

  it('keeps the engine pure: no I/O modules, clock reads or randomness', () => {
    const bad: string[] = [];
    for (const file of files.filter((f) => f.startsWith('src/engine/'))) {
      const src = readFileSync(file, 'utf8');
      for (const spec of imports(file))
        if (spec.startsWith('node:') || ['fs', 'http', 'https', 'net', 'ioredis', 'bullmq', 'axios'].includes(spec))
          bad.push(`${file}: ${spec}`);
      for (const pattern of [
        /Date\.now\(/,
        /new Date\(\)/,
        /Math\.random\(/,
        /\bprocess\./,
        /DateTime\.now\(/,
        /DateTime\.local\(\)/,
      ]) {
        if (pattern.test(src)) bad.push(`${file}: ${pattern.source}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps connectors free of Node I/O shortcuts (they get http/clock through the context)', () => {
    const bad: string[] = [];
    for (const file of files.filter((f) => f.startsWith('connectors/'))) {
      for (const spec of imports(file))
        if (['axios', 'ioredis', 'bullmq', 'node:http', 'node:https', 'node:net'].includes(spec))
          bad.push(`${file}: ${spec}`);
      if (/Date\.now\(|\bfetch\(/.test(readFileSync(file, 'utf8')))
        bad.push(`${file}: reads the clock or fetches directly`);
    }
    expect(bad).toEqual([]);
  });

  it('never disables TLS verification', () => {
    // Setting the env switch is forbidden; src/lib/tls.ts names it only to refuse to start when it is set.
    const bad = files.filter((f) =>
      /rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED['"\]]*\s*=(?!=)/.test(readFileSync(f, 'utf8')),
    );
    expect(bad).toEqual([]);
  });
});
