import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

// The dependency rule of STYLE.md ("→ = may import"), checked on every build. ESLint/dependency-cruiser enforce
// the same in `npm run lint`; this test makes it part of the README test command.

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

/** Top-level area of a repo path: 'src/engine', 'src/connectors.ts', 'connectors/halo', … */
function area(path: string): string {
  const parts = normalize(path).split('/');
  if (parts[0] === 'connectors') return `connectors/${parts[1]}`;
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  return parts.slice(0, 2).join('/');
}

const allowed: Record<string, (target: string) => boolean> = {
  'src/contract': (t) => t === 'src/contract',
  'src/engine': (t) => ['src/engine', 'src/contract'].includes(t),
  'src/config': (t) => ['src/config', 'src/contract', 'src/lib'].includes(t),
  'src/lib': (t) => ['src/lib', 'src/contract'].includes(t),
  'src/store': (t) => ['src/store', 'src/contract', 'src/lib', 'src/pipeline'].includes(t),
  'src/pipeline': (t) => ['src/pipeline', 'src/engine', 'src/store', 'src/connectors.ts', 'src/config', 'src/contract', 'src/lib'].includes(t),
  // The backtest core (issue 15) sits beside the pipeline: CLI and API both use it, it never imports http.
  'src/backtest': (t) => ['src/backtest', 'src/pipeline', 'src/engine', 'src/store', 'src/connectors.ts', 'src/config', 'src/contract', 'src/lib'].includes(t),
  'src/http': (t) => ['src/http', 'src/backtest', 'src/pipeline', 'src/store', 'src/engine', 'src/connectors.ts', 'src/config', 'src/contract', 'src/lib'].includes(t),
  'src/connectors.ts': (t) => t.startsWith('connectors/') || t === 'src/contract',
};

const files = [...walk('src'), ...walk('connectors')];

describe('architecture', () => {
  it('follows the dependency rule of STYLE.md', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = area(file);
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = area(relative('.', join(dirname(file), spec)).replace(/\.js$/, '.ts'));
        const ok = from.startsWith('connectors/')
          ? target === from || target === 'src/contract'
          : (allowed[from]?.(target) ?? true);
        if (!ok) violations.push(`${file} → ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps the engine pure: no I/O modules, clock reads or randomness', () => {
    const bad: string[] = [];
    for (const file of files.filter((f) => f.startsWith('src/engine/'))) {
      const src = readFileSync(file, 'utf8');
      for (const spec of imports(file)) if (spec.startsWith('node:') || ['fs', 'http', 'https', 'net', 'ioredis', 'bullmq', 'axios'].includes(spec)) bad.push(`${file}: ${spec}`);
      for (const pattern of [/Date\.now\(/, /new Date\(\)/, /Math\.random\(/, /\bprocess\./, /DateTime\.now\(/, /DateTime\.local\(\)/]) {
        if (pattern.test(src)) bad.push(`${file}: ${pattern.source}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps connectors free of Node I/O shortcuts (they get http/clock through the context)', () => {
    const bad: string[] = [];
    for (const file of files.filter((f) => f.startsWith('connectors/'))) {
      for (const spec of imports(file)) if (['axios', 'ioredis', 'bullmq', 'node:http', 'node:https', 'node:net'].includes(spec)) bad.push(`${file}: ${spec}`);
      if (/Date\.now\(|\bfetch\(/.test(readFileSync(file, 'utf8'))) bad.push(`${file}: reads the clock or fetches directly`);
    }
    expect(bad).toEqual([]);
  });

  it('never disables TLS verification', () => {
    // Setting the env switch is forbidden; src/lib/tls.ts names it only to refuse to start when it is set.
    const bad = files.filter((f) => /rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED['"\]]*\s*=(?!=)/.test(readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });
});
