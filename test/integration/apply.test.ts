/**
 * The apply engine on a real API server: a namespace-mode operator is planned (all creates), applied and
 * rolls out on kwok; re-planning finds nothing to change; a changed value updates and prunes; a rollout
 * that cannot finish times out with the reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Kube } from '../../src/cluster/client.ts';
import { OWNED_KINDS, applyPlan, planObjects, type ApplyEvent } from '../../src/apply/apply.ts';
import { waitForReady, type WaitEvent } from '../../src/apply/wait.ts';
import { generateMaterial } from '../../src/cli/commands/render.ts';
import { ownershipSelector } from '../../src/render/labels.ts';
import { renderManifests, type Material } from '../../src/render/index.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../src/version.ts';
import { caseValues } from '../helpers/render.ts';
import { cluster, kubectl, kubectlOk, uniqueName, yamlStream } from './cluster.ts';

const ns = uniqueName('apply');
const release = 'apply-test';
const kube = (): Kube => Kube.load({ kubeconfig: cluster().kubeconfig, timeoutMs: 10_000 });
const selector = ownershipSelector(release, ns);

let material: Material | undefined;
/** Renders with one set of generated secrets, as an install that reuses its certificate and key does. */
async function render(sets: Record<string, unknown> = {}) {
  const values = caseValues({ name: 'apply', values: Object.keys(sets).length ? JSON.stringify(sets) : undefined }, { scope: 'namespace', namespace: ns, release });
  material ??= await generateMaterial(values);
  return renderManifests(values, { apiVersions: [] }, material, DYNAMO_PLATFORM_VERSION);
}

afterAll(() => {
  kubectl(['delete', 'clusterroles,clusterrolebindings,validatingwebhookconfigurations', '-l', selector, '--wait=false']);
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('plan, apply and wait', () => {
  it('creates everything, rolls the operator out on kwok, and then finds nothing to change', async () => {
    kubectlOk(['create', 'namespace', ns]);
    const objects = await render();
    const plan = await planObjects(kube(), objects, { ownedSelector: selector, kinds: OWNED_KINDS, namespaces: [ns] });
    expect(plan.entries.map((e) => e.change)).toEqual(objects.map(() => 'create'));
    expect(plan.prune).toEqual([]);
    const applied: ApplyEvent[] = [];
    await applyPlan(kube(), plan, { onEvent: (e) => applied.push(e) });
    expect(applied).toHaveLength(objects.length);
    const events: WaitEvent[] = [];
    const deployment = { kind: 'Deployment' as const, name: `${release}-dynamo-operator-controller-manager`, namespace: ns };
    await waitForReady(kube(), [deployment], { timeoutMs: 60_000, onEvent: (e) => events.push(e) });
    expect(events.at(-1)).toMatchObject({ ready: true, message: '1/1 replicas available' });
    const managers = kubectlOk(['get', 'deployment', deployment.name, '-n', ns, '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
    expect(managers.split(' ')).toContain('dynamoctl');

    const again = await planObjects(kube(), objects, { ownedSelector: selector, kinds: OWNED_KINDS, namespaces: [ns] });
    expect(again.entries.filter((e) => e.change !== 'unchanged').map((e) => `${e.object.kind}/${e.object.metadata.name}`)).toEqual([]);
    expect(again.prune).toEqual([]);
  });

  it('updates what a changed value changes and prunes what is no longer rendered', async () => {
    const objects = await render({ 'dynamo-operator': { webhook: { enabled: false }, controllerManager: { replicas: 2 } } });
    const plan = await planObjects(kube(), objects, { ownedSelector: selector, kinds: OWNED_KINDS, namespaces: [ns] });
    const changed = plan.entries.filter((e) => e.change !== 'unchanged').map((e) => `${e.change} ${e.object.kind}/${e.object.metadata.name}`);
    expect(changed).toEqual([`update Deployment/${release}-dynamo-operator-controller-manager`]);
    expect(plan.prune.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      `Role/${release}-dynamo-operator-webhook-cert-reader`,
      `RoleBinding/${release}-dynamo-operator-webhook-cert-reader`,
      'Secret/webhook-server-cert',
      `Service/${release}-dynamo-operator-webhook-service`,
      `ValidatingWebhookConfiguration/${release}-dynamo-operator-validating-${ns}`,
    ]);
    await applyPlan(kube(), plan);
    expect(kubectl(['get', 'validatingwebhookconfiguration', `${release}-dynamo-operator-validating-${ns}`]).stderr).toContain('NotFound');
    await waitForReady(kube(), [{ kind: 'Deployment', name: `${release}-dynamo-operator-controller-manager`, namespace: ns }], { timeoutMs: 60_000 });
  });

  it('explains a rollout that cannot finish when the time is up', async () => {
    const stuck = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'stuck', namespace: ns }, spec: { selector: { matchLabels: { app: 'stuck' } }, template: { metadata: { labels: { app: 'stuck' } }, spec: { nodeSelector: { 'no-such-node': 'true' }, containers: [{ name: 'c', image: 'x' }] } } } };
    kubectlOk(['apply', '--server-side', '-f', '-'], { input: yamlStream([stuck]) });
    const waiting = waitForReady(kube(), [{ kind: 'Deployment', name: 'stuck', namespace: ns }], { timeoutMs: 3_000 });
    await expect(waiting).rejects.toThrow(/timed out after 3s waiting for Deployment .*\/stuck:\n.*0\/1 replicas available\n(.|\n)*pod stuck-\S+ \(Pending\) not ready/);
  });
});
