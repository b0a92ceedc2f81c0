/**
 * The subcharts as the real charts behave (fixture charts that behave like them: CRDs in crds/, Bitnami's
 * image guard, claims that bind, Kai's hook Job and operator-created Deployments), installed, uninstalled
 * and installed again by dynamoctl on the local control plane: Grove and Kai come back after an uninstall,
 * every image of every workload comes from the mirror under --registry (Grove's env-embedded init image
 * included), and pull secrets reach the charts that take them, with a warning for those that cannot.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { installEnvironment, removeByHand } from './environment.ts';
import { cluster, eventually, helm, kubectl, kubectlOk, uniqueName } from './cluster.ts';

const env = installEnvironment('subcharts');
const { dynamoctl } = env;
const MIRROR = 'mirror.example.com:5000/dynamo';

type Pod = { spec: { containers: { image: string; env?: { name: string; value?: string }[] }[]; initContainers?: { image: string }[]; imagePullSecrets?: { name: string }[] } };
type Workload = { kind: string; metadata: { name: string; namespace: string }; spec: { template: Pod } };

/** Every Deployment and StatefulSet in `namespaces`. */
function workloads(namespaces: string[]): Workload[] {
  return namespaces.flatMap((ns) => (JSON.parse(kubectlOk(['get', 'deployments,statefulsets', '-n', ns, '-o', 'json'])) as { items: Workload[] }).items);
}

const deploymentNames = (ns: string): string[] => kubectlOk(['get', 'deployments', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}']).split(' ').filter(Boolean).sort();

describe('Grove and Kai', () => {
  const release = 'sub';
  const ns = uniqueName('sub');
  afterAll(() => {
    dynamoctl(['uninstall', '--release', release, '-n', ns, '--yes', '--delete-data']);
    for (const r of [`${release}-grove`, `${release}-kai-scheduler`]) helm(3, ['uninstall', r, '-n', ns, '--wait', '--ignore-not-found']);
    removeByHand(release, ns);
  });

  const install = (extra: string[] = []) => {
    const r = dynamoctl(['install', '--release', release, '-n', ns, '--grove', '--kai', '--yes', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  it('installs both operators, and Kai’s operator-created Deployments are waited for; takes over the Dynamo CRDs an uninstalled helm release left behind', () => {
    // as after `helm install dynamo-crds -n elsewhere` and its uninstall: five CRDs kept (resource-policy
    // keep), still naming the gone release, and the sixth deleted
    const elsewhere = uniqueName('old-crds');
    const pkg = cluster().charts.packages.find((p) => p.name === 'dynamo-crds')!;
    const old = helm(3, ['upgrade', '--install', 'dynamo-crds', pkg.file, '-n', elsewhere, '--create-namespace', '--wait', '--take-ownership']);
    expect(old.code, old.stderr).toBe(0);
    expect(helm(3, ['uninstall', 'dynamo-crds', '-n', elsewhere, '--wait']).code).toBe(0);
    kubectl(['wait', '--for=delete', 'crd/dynamoworkermetadatas.nvidia.com', '--timeout=120s']);
    expect(kubectlOk(['get', 'crd', 'dynamographdeployments.nvidia.com', '-o', 'jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-namespace}'])).toBe(elsewhere);
    kubectl(['delete', 'namespace', elsewhere, '--wait=false']);

    const r = install();
    expect(r.stderr).toContain(`taking over the CRDs left by the uninstalled release ${elsewhere}/dynamo-crds`);
    expect(kubectlOk(['get', 'crd', 'dynamographdeployments.nvidia.com', '-o', 'jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-namespace}'])).toBe('default');
    expect(deploymentNames(ns)).toEqual(expect.arrayContaining(['grove-operator', 'kai-operator', 'scheduler', 'binder', 'pod-grouper', 'queue-controller', 'podgroup-controller', 'admission']));
    const status = dynamoctl(['status', '--release', release, '-n', ns]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
  });

  const uninstall = async (): Promise<void> => {
    const u = dynamoctl(['uninstall', '--release', release, '-n', ns, '--yes', '--delete-data']);
    expect(u.code, u.stderr).toBe(0);
    await eventually(`namespace ${ns} gone`, () => kubectl(['get', 'namespace', ns]).code !== 0, 120_000);
  };

  it('brings both operators back when installed again after an uninstall (their CRDs stayed behind)', async () => {
    await uninstall();
    // helm keeps the CRDs of crds/: exactly what used to make a re-install "reuse" nothing
    expect(kubectlOk(['get', 'crd', 'podcliquesets.grove.io', 'queues.scheduling.run.ai', '-o', 'name']).trim().split('\n')).toHaveLength(2);
    const r = install();
    expect(r.stderr).not.toMatch(/reused/);
    expect(deploymentNames(ns)).toEqual(expect.arrayContaining(['grove-operator', 'kai-operator', 'pod-grouper']));
  });

  it('pulls every image of every workload from the mirror under --registry, Grove’s init image included; pull secrets where the chart takes them, a warning where not', async () => {
    await uninstall();
    // the pull secret is the user's, made beforehand for the mirror (the check looks for it)
    kubectlOk(['create', 'namespace', ns]);
    kubectlOk(['create', 'secret', 'docker-registry', 'regcred', '-n', ns, '--docker-server=mirror.example.com:5000', '--docker-username=u', '--docker-password=p']);
    const r = install(['--registry', MIRROR, '--image-pull-secret', 'regcred']);
    expect(r.stderr).toMatch(/Grove: grove-charts v0\.1\.0-alpha\.3 has no pull-secret value/);
    expect(r.stderr).toMatch(/Kai scheduler: .*crd-upgrader/);
    const all = workloads([ns]);
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const w of all) {
      const pod = w.spec.template.spec;
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) expect(c.image.startsWith(`${MIRROR}/`), `${w.kind} ${w.metadata.name}: ${c.image}`).toBe(true);
    }
    const grove = all.find((w) => w.metadata.name === 'grove-operator')!;
    const initImage = grove.spec.template.spec.containers.flatMap((c) => c.env ?? []).find((e) => e.name === 'GROVE_INIT_CONTAINER_IMAGE');
    expect(initImage?.value).toBe(`${MIRROR}/nvidia/grove/grove-initc`);

    const secrets = (name: string) => (all.find((w) => w.metadata.name === name)?.spec.template.spec.imagePullSecrets ?? []).map((s) => s.name);
    for (const name of [`${release}-nats`, `${release}-etcd`, `${release}-dynamo-operator-controller-manager`, 'kai-operator', 'scheduler', 'binder']) expect(secrets(name), name).toEqual(['regcred']);
    expect(secrets('grove-operator')).toEqual([]);
  });
});
