import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { connectors } from '../../src/connectors.js';
import { loadConfigText } from '../../src/config/index.js';
import { hashLine, overlays, renderedDir, sourcesHash } from '../../scripts/kubernetes-sources.js';

// No cluster and no kustomize binary on CI machines: the overlays are rendered by real kustomize
// (scripts/render-kubernetes.ts) into deploy/kubernetes/rendered/, and this file checks those renderings — current
// with their sources, valid against the Kubernetes (and Prometheus Operator) schemas, and safe to run.

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface Validatable {
  validate(): void;
}

const models: Record<string, (o: K8sObject) => Validatable> = {
  'v1/Namespace': (o) => new Namespace(o as never),
  'v1/ConfigMap': (o) => new ConfigMap(o as never),
  'v1/Secret': (o) => new Secret(o as never),
  'v1/Service': (o) => new Service(o as never),
  'apps/v1/Deployment': (o) => new Deployment(o as never),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o as never),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o as never),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never),
  'monitoring.coreos.com/v1/ServiceMonitor': (o) => new ServiceMonitor(o as never),
};

function validate(o: K8sObject): void {
  const model = models[`${o.apiVersion}/${o.kind}`];
  if (!model)
    throw new Error(`no schema for ${o.apiVersion} ${o.kind} (${o.metadata.name}): add its model to this test`);
  model(o).validate();
}

const rendered = (overlay: string): { text: string; objects: K8sObject[] } => {
  const text = readFileSync(join(renderedDir, `${overlay}.yaml`), 'utf8');
  return { text, objects: parseAllDocuments(text).map((d) => d.toJS() as K8sObject) };
};

interface Container {
  name: string;
  args?: string[];
  image: string;
  env?: { name: string; value?: string }[];
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
const podSpec = (o: K8sObject): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`${kind} ${name} missing; have ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it.each(overlays)(
    '%s: the checked-in rendering is current with its sources (else: npx tsx scripts/render-kubernetes.ts)',
    (overlay) => {
      expect(rendered(overlay).text.split('\n')[1]).toBe(hashLine(sourcesHash()));
    },
  );

  it.each(overlays)('%s: every rendered object is valid against the Kubernetes schemas', (overlay) => {
    const { objects } = rendered(overlay);
    expect(objects.length).toBeGreaterThanOrEqual(9);
    for (const o of objects) expect(() => validate(o), `${o.kind}/${o.metadata.name}`).not.toThrow();
  });

  it('the schema check catches a broken manifest (so the check above can fail)', () => {
    const api = structuredClone(named(rendered('standalone').objects, 'Deployment', 'psa-escalator-api'));
    (api.spec as { replicas: unknown }).replicas = 'two';
    expect(() => validate(api)).toThrow(/replicas must be integer/);
    expect(() => validate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toThrow(/no schema/);
  });

  it.each(overlays)(
    '%s: api and worker run the image as non-root on a read-only root with probes and resources',
    (overlay) => {
      const { objects } = rendered(overlay);
      for (const role of ['api', 'worker']) {
        const spec = podSpec(named(objects, 'Deployment', `psa-escalator-${role}`));
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true });
        expect(spec.securityContext?.runAsUser).toBeGreaterThan(0);
        const [c] = spec.containers;
        expect(c?.args).toEqual(['serve', '--role', role]);
        expect(c?.image).toBe('registry.example.com/psa-escalator:0.1.0');
        expect(c?.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c?.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(c?.readinessProbe?.httpGet?.path).toBe('/readyz');
        expect(Object.keys(c?.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(c?.resources?.limits?.memory).toBeDefined();
      }
    },
  );

  it.each(overlays)('%s: the api autoscales and both roles have a disruption budget', (overlay) => {
    const { objects } = rendered(overlay);
    const hpa = named(objects, 'HorizontalPodAutoscaler', 'psa-escalator-api').spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
    };
    expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'psa-escalator-api' });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    for (const role of ['api', 'worker']) {
      const pdb = named(objects, 'PodDisruptionBudget', `psa-escalator-${role}`).spec as {
        selector: { matchLabels: Record<string, string> };
      };
      expect(pdb.selector.matchLabels['app.kubernetes.io/component']).toBe(role);
    }
    for (const o of objects)
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('psa-escalator');
  });

  it('standalone: an in-cluster Redis with AOF and noeviction, and REDIS_URL pointing at it', () => {
    const { objects } = rendered('standalone');
    const redis = podSpec(named(objects, 'StatefulSet', 'psa-escalator-redis')).containers[0];
    expect(redis?.args?.join(' ')).toMatch(/--appendonly yes/);
    expect(redis?.args?.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    named(objects, 'Service', 'psa-escalator-redis');
    for (const role of ['api', 'worker']) {
      const env = podSpec(named(objects, 'Deployment', `psa-escalator-${role}`)).containers[0]?.env ?? [];
      expect(env.find((e) => e.name === 'REDIS_URL')?.value).toBe('redis://psa-escalator-redis:6379');
    }
  });

  it('external-redis: no in-cluster Redis, Sentinel settings from a ConfigMap, and a ServiceMonitor for /metrics', () => {
    const { objects } = rendered('external-redis');
    expect(byKind(objects, 'StatefulSet')).toHaveLength(0);
    const env = named(objects, 'ConfigMap', 'psa-escalator-redis').data ?? {};
    expect(env.REDIS_SENTINELS?.split(',').length).toBeGreaterThanOrEqual(3);
    expect(env.REDIS_SENTINEL_NAME).toBeTruthy();
    const monitor = named(objects, 'ServiceMonitor', 'psa-escalator').spec as { endpoints: { path: string }[] };
    expect(monitor.endpoints[0]?.path).toBe('/metrics');
  });

  it('the ConfigMap holds an escalator.yaml that the service loads', () => {
    const { objects } = rendered('standalone');
    const text = named(objects, 'ConfigMap', 'psa-escalator-config').data?.['escalator.yaml'] ?? '';
    const env = {
      HALO_TENANT_URL: 'https://acme.halopsa.com',
      HALO_CLIENT_ID: 'id',
      HALO_CLIENT_SECRET: 'secret',
      HALO_WEBHOOK_PASSWORD: 'pw',
    };
    const loaded = loadConfigText(text, 'configmap/escalator.yaml', env, connectors);
    expect(loaded.ok ? [] : loaded.error.map((p) => p.message)).toEqual([]);
  });
});
