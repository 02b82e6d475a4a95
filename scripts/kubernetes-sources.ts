import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Where the kustomize sources live, and where their renderings are checked in. */
export const kubernetesDir = 'deploy/kubernetes';
export const renderedDir = join(kubernetesDir, 'rendered');
export const overlays = ['standalone', 'external-redis'] as const;

function files(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (path === renderedDir) return [];
      return statSync(path).isDirectory() ? files(path) : [path];
    })
    .sort();
}

/** SHA-256 over every source file's path and bytes: a rendering headed by another hash is stale. */
export function sourcesHash(): string {
  const hash = createHash('sha256');
  for (const path of files(kubernetesDir))
    hash
      .update(`${relative(kubernetesDir, path)}\0`)
      .update(readFileSync(path))
      .update('\0');
  return hash.digest('hex');
}

export const hashLine = (hash: string): string => `# sources-sha256: ${hash}`;
