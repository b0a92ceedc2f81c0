/**
 * Invariants over every golden case: properties a golden file would otherwise record as "expected" even
 * when they are bugs (istio's TestConfigSelectors idea).
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/render/k8s-types.ts';
import { MANAGED_BY, RELEASE_NAMESPACE_LABEL } from '../../../src/render/labels.ts';
import { FIXED_MATERIAL, goldenCases } from '../../golden/cases.ts';
import { renderCase } from '../../helpers/render.ts';

const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'Queue', 'Namespace', 'CustomResourceDefinition']);
type Pod = { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> & { containers: { envFrom?: { secretRef?: { name: string } }[] }[] } };

const cases = goldenCases.map((c) => [c.name, c] as const);
const byKind = (objects: KubeObject[], kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);
const has = (objects: KubeObject[], kind: string, name: string, namespace?: string): boolean =>
  objects.some((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);

describe.each(cases)('render invariants: %s', (_name, c) => {
  const { values, objects } = renderCase(c, FIXED_MATERIAL);
  const ns = values.dynamoctl.namespace;
  const op = values['dynamo-operator'];
  const deployment = byKind(objects, 'Deployment')[0]!;
  const pod = (deployment.spec as { template: Pod; selector: { matchLabels: Record<string, string> } }).template;

  it('has exactly one operator Deployment whose selector matches its pod labels', () => {
    expect(byKind(objects, 'Deployment')).toHaveLength(1);
    const selector = (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(pod.metadata.labels).toMatchObject(selector);
  });

  it('selects the operator pod with every Service', () => {
    for (const svc of byKind(objects, 'Service')) {
      const selector = (svc.spec as { selector: Record<string, string> }).selector;
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      expect(pod.metadata.labels, svc.metadata.name).toMatchObject(selector);
    }
  });

  it('renders every ServiceAccount, Secret and Role it references (or the user provides it)', () => {
    expect(has(objects, 'ServiceAccount', pod.spec.serviceAccountName as string, ns)).toBe(true);
    const userSecrets = new Set([...op.imagePullSecrets.map((s) => s.name), op.dynamo.dockerRegistry.existingSecretName]);
    const podSecrets = [
      ...((pod.spec.volumes as { secret?: { secretName: string } }[] | undefined) ?? []).flatMap((v) => (v.secret ? [v.secret.secretName] : [])),
      ...pod.spec.containers.flatMap((ct) => (ct.envFrom ?? []).flatMap((e) => (e.secretRef ? [e.secretRef.name] : []))),
    ];
    const certFromElsewhere = op.webhook.certManager.enabled || op.webhook.certificateSecret.external ? op.webhook.certificateSecret.name : '';
    for (const name of podSecrets) if (name !== certFromElsewhere) expect(has(objects, 'Secret', name, ns), `Secret ${name}`).toBe(true);
    for (const sa of byKind(objects, 'ServiceAccount')) {
      for (const ref of (sa.imagePullSecrets as { name: string }[] | undefined) ?? []) {
        expect(userSecrets.has(ref.name) || has(objects, 'Secret', ref.name, ns), `pull secret ${ref.name}`).toBe(true);
      }
    }
    for (const binding of [...byKind(objects, 'RoleBinding'), ...byKind(objects, 'ClusterRoleBinding')]) {
      const ref = binding.roleRef as { kind: string; name: string };
      expect(has(objects, ref.kind, ref.name, ref.kind === 'Role' ? binding.metadata.namespace : undefined), `${binding.metadata.name} → ${ref.kind} ${ref.name}`).toBe(true);
      for (const s of binding.subjects as { kind: string; name: string; namespace: string }[]) {
        // the profiling ServiceAccount is created by the operator per namespace when cluster-wide
        const operatorMade = !op.namespaceRestriction.enabled && s.name === 'dgdr-profiling-job';
        if (s.kind === 'ServiceAccount' && !operatorMade) expect(has(objects, 'ServiceAccount', s.name, s.namespace), `subject ${s.name}`).toBe(true);
      }
    }
  });

  it('labels every object as owned and namespaces exactly the namespaced ones', () => {
    for (const o of objects) {
      const labels = o.metadata.labels ?? {};
      expect(labels['app.kubernetes.io/managed-by'], o.metadata.name).toBe(MANAGED_BY);
      expect(labels['app.kubernetes.io/instance']).toBe(values.dynamoctl.release);
      expect(labels[RELEASE_NAMESPACE_LABEL]).toBe(ns);
      // the chart's labels, except on the kinds the chart leaves unlabelled
      if (!['PodMonitor', 'Queue'].includes(o.kind)) {
        expect(labels['helm.sh/chart'], o.metadata.name).toBe(`dynamo-operator-${labels['app.kubernetes.io/version']}`);
        expect(labels['app.kubernetes.io/version']).toMatch(/^\d/);
      }
      if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBeUndefined();
      else expect([ns, op.namespaceRestriction.targetNamespace]).toContain(o.metadata.namespace);
    }
  });

  it('keeps names within Kubernetes limits', () => {
    for (const o of objects) {
      expect(o.metadata.name.length, o.metadata.name).toBeLessThanOrEqual(o.kind === 'Service' ? 63 : 253);
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      for (const v of Object.values(o.metadata.labels ?? {})) expect(v.length).toBeLessThanOrEqual(63);
    }
  });

  it('grants cluster-wide permissions only cluster-wide (namespace mode: only the documented exceptions)', () => {
    const managerRoleKind = byKind(objects, 'ClusterRole').some((r) => r.metadata.name.endsWith('-manager-role')) ? 'ClusterRole' : 'Role';
    expect(managerRoleKind).toBe(op.namespaceRestriction.enabled ? 'Role' : 'ClusterRole');
    if (!op.namespaceRestriction.enabled) return;
    // As the chart: the Kai queue reader, the webhook configuration (cluster-scoped by nature) and the Kai queues.
    const allowedRoles = [/-queue-reader$/];
    for (const o of objects.filter((x) => CLUSTER_SCOPED.has(x.kind))) {
      if (o.kind === 'ClusterRole') {
        expect(allowedRoles.some((r) => r.test(o.metadata.name)), o.metadata.name).toBe(true);
        for (const rule of o.rules as { verbs: string[]; resources: string[] }[]) {
          expect(rule.verbs.every((v) => ['get', 'list', 'watch'].includes(v))).toBe(true);
          expect(rule.resources.every((r) => r === 'queues')).toBe(true);
        }
      } else if (o.kind === 'ClusterRoleBinding') {
        expect(allowedRoles.some((r) => r.test((o.roleRef as { name: string }).name))).toBe(true);
      } else {
        expect(['ValidatingWebhookConfiguration', 'Queue']).toContain(o.kind);
      }
    }
    const vwc = byKind(objects, 'ValidatingWebhookConfiguration')[0];
    for (const w of (vwc?.webhooks as { namespaceSelector?: unknown }[] | undefined) ?? []) {
      expect(w.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': op.namespaceRestriction.targetNamespace } });
    }
  });
});
