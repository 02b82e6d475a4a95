/**
 * Renders every overlay of deploy/kubernetes with real kustomize (`kubectl kustomize`, or `kustomize build`) into
 * deploy/kubernetes/rendered/<overlay>.yaml, headed by a hash of the sources. test/unit/kubernetes.test.ts validates
 * each rendered object against the Kubernetes schemas and fails when a rendering is older than its sources.
 * Run after changing anything under deploy/kubernetes:  npx tsx scripts/render-kubernetes.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { hashLine, kubernetesDir, overlays, renderedDir, sourcesHash } from './kubernetes-sources.js';

function kustomize(dir: string): string {
  try {
    return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return execFileSync('kustomize', ['build', dir], { encoding: 'utf8' });
  }
}

mkdirSync(renderedDir, { recursive: true });
const hash = sourcesHash();
for (const overlay of overlays) {
  const out = kustomize(join(kubernetesDir, 'overlays', overlay));
  const header = `# Rendered by scripts/render-kubernetes.ts from deploy/kubernetes/overlays/${overlay}; do not edit.\n${hashLine(hash)}\n`;
  writeFileSync(join(renderedDir, `${overlay}.yaml`), header + out);
  console.log(`${overlay}: ${out.split(/^---$/m).length} objects`);
}
