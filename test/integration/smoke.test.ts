/**
 * Proves the test environment is real Kubernetes: server-side apply and rollout on kwok nodes, namespace
 * deletion (controller-manager), RBAC for a restricted user, and helm against both chart sources.
 */
import { describe, expect, it } from 'vitest';
import { AppsV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type V1Deployment } from '@kubernetes/client-node';
import { restrictedKubeconfig } from '../cluster/control-plane.ts';
import { cluster, eventually, helm, kubectl, kubectlOk, uniqueName, yamlStream, type HelmMajor } from './cluster.ts';

function client(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster().kubeconfig);
  return kc;
}

describe('the local control plane', () => {
  it('reports the pinned Kubernetes version and has a CPU and a GPU kwok node', () => {
    const version = JSON.parse(kubectlOk(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe(`v${cluster().versions.kubernetes}`);
    const nodes = JSON.parse(kubectlOk(['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string }; status: { allocatable: Record<string, string> } }[] };
    const gpu = nodes.items.filter((n) => n.status.allocatable['nvidia.com/gpu'] === '8');
    expect(nodes.items.length).toBeGreaterThanOrEqual(2);
    expect(gpu).toHaveLength(1);
  });

  it('server-side applies a Deployment that becomes Available on a kwok node', async () => {
    const namespace = uniqueName('smoke-ssa');
    kubectlOk(['create', 'namespace', namespace]);
    const kc = client();
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const labels = { app: 'web' };
    const deployment: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] } },
      },
    };
    await objects.patch(deployment, undefined, undefined, 'dynamoctl-smoke', true, PatchStrategy.ServerSideApply);
    const apps = kc.makeApiClient(AppsV1Api);
    await eventually('Deployment web Available', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
      return d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true && d.status.readyReplicas === 2;
    });
    const managers = (await apps.readNamespacedDeployment({ name: 'web', namespace })).metadata?.managedFields?.map((f) => [f.manager, f.operation]);
    expect(managers).toContainEqual(['dynamoctl-smoke', 'Apply']);
    const pods = JSON.parse(kubectlOk(['get', 'pods', '-n', namespace, '-o', 'json'])) as { items: { spec: { nodeName?: string } }[] };
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) expect(pod.spec.nodeName).toMatch(/^kwok-/);
  });

  it('finishes deleting a namespace with workloads in it', async () => {
    const namespace = uniqueName('smoke-ns');
    kubectlOk(['create', 'namespace', namespace]);
    kubectlOk(['create', 'deployment', 'app', '--image=registry.invalid/app:1', '-n', namespace]);
    kubectlOk(['create', 'configmap', 'cfg', '--from-literal=a=b', '-n', namespace]);
    await eventually('a pod of app exists', () => kubectlOk(['get', 'pods', '-n', namespace, '-o', 'name']).trim() !== '');
    kubectlOk(['delete', 'namespace', namespace, '--wait=false']);
    await eventually(`namespace ${namespace} is gone`, () => kubectl(['get', 'namespace', namespace]).stderr.includes('NotFound'));
  });

  it('gives a namespace-admin user 403 on cluster-scoped writes but rights in its namespace', () => {
    const namespace = uniqueName('smoke-rbac');
    const kubeconfig = restrictedKubeconfig(cluster(), uniqueName('alice'), namespace);
    const clusterRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: uniqueName('x') }, rules: [] };
    const denied = kubectl(['create', '-f', '-'], { kubeconfig, input: yamlStream([clusterRole]) });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Forbidden|forbidden/);
    expect(kubectl(['create', 'namespace', uniqueName('other')], { kubeconfig }).stderr).toMatch(/forbidden/);
    expect(kubectl(['get', 'pods', '-n', 'default'], { kubeconfig }).stderr).toMatch(/forbidden/);
    expect(kubectl(['create', 'configmap', 'mine', '--from-literal=a=b', '-n', namespace], { kubeconfig }).code).toBe(0);
  });
});

describe.each<HelmMajor>([3, 4])('helm v%i against the fixture chart sources', (major) => {
  const sources = () => cluster().charts;
  const pkg = (name: string) => {
    const p = sources().packages.find((x) => x.name === name);
    if (!p) throw new Error(`fixture chart ${name} not published`);
    return p;
  };
  const waitFlag = major === 3 ? ['--wait'] : ['--wait=watcher'];

  it('installs from the HTTP repository and uninstalls cleanly', () => {
    const namespace = uniqueName(`smoke-helm${major}-http`);
    const nats = pkg('nats');
    const install = helm(major, ['install', 'msg', 'nats', '--repo', sources().httpRepo, '--version', nats.version, '-n', namespace, '--create-namespace', ...waitFlag, '--timeout', '2m']);
    // helm v4's watcher may log client-go noise ("context canceled") on stderr; the exit code decides
    expect(install.code, install.stderr).toBe(0);
    expect(kubectlOk(['get', 'statefulsets', '-n', namespace, '-o', 'name'])).toContain('statefulset.apps/msg-nats');
    expect(helm(major, ['uninstall', 'msg', '-n', namespace, ...waitFlag]).code).toBe(0);
    expect(kubectlOk(['get', 'statefulsets,services,configmaps', '-n', namespace, '-l', 'app.kubernetes.io/instance=msg', '-o', 'name']).trim()).toBe('');
    expect(helm(major, ['list', '-n', namespace, '-q']).stdout.trim()).toBe('');
  });

  it('installs from the OCI registry and uninstalls cleanly', () => {
    const namespace = uniqueName(`smoke-helm${major}-oci`);
    const etcd = pkg('etcd');
    const install = helm(major, ['install', 'kv', `${sources().ociRepo}/etcd`, '--version', etcd.version, '--plain-http', '-n', namespace, '--create-namespace', ...waitFlag, '--timeout', '2m']);
    expect(install.code, install.stderr).toBe(0);
    expect(kubectlOk(['get', 'statefulsets', '-n', namespace, '-o', 'name'])).toContain('statefulset.apps/kv-etcd');
    expect(helm(major, ['uninstall', 'kv', '-n', namespace, ...waitFlag]).code).toBe(0);
    expect(kubectlOk(['get', 'statefulsets,services', '-n', namespace, '-l', 'app.kubernetes.io/instance=kv', '-o', 'name']).trim()).toBe('');
  });
});

describe('the fixture charts', () => {
  it('each installs from the HTTP repository, becomes Ready under kwok, and the CRDs are Established', () => {
    const namespace = uniqueName('smoke-charts');
    const { httpRepo, packages } = cluster().charts;
    expect(packages.map((p) => p.name).sort()).toEqual(['dynamo-crds', 'etcd', 'grove-charts', 'kai-scheduler', 'nats']);
    for (const p of packages) {
      // --take-ownership: other test files may have left the kept Dynamo CRDs behind
      const r = helm(3, ['install', p.name, p.name, '--repo', httpRepo, '--version', p.version, '-n', namespace, '--create-namespace', '--wait', '--timeout', '2m', '--take-ownership']);
      expect(r.code, `${p.name}: ${r.stderr}`).toBe(0);
    }
    const crds = ['dynamographdeployments.nvidia.com', 'dynamomodels.nvidia.com', 'podcliquesets.grove.io', 'queues.scheduling.run.ai'];
    expect(kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c}`)]).code).toBe(0);
    // only the names: the real CRD is over 1 MiB as JSON, more than spawnSync buffers
    const shortNames = kubectlOk(['get', 'crd', 'dynamographdeployments.nvidia.com', '-o', 'jsonpath={.spec.names.shortNames}']);
    expect(JSON.parse(shortNames)).toEqual(['dgd']);
    const notReady = kubectlOk(['get', 'deployments,statefulsets', '-n', namespace, '-o', 'jsonpath={range .items[?(@.status.readyReplicas!=@.spec.replicas)]}{.metadata.name}{" "}{end}']);
    expect(notReady.trim()).toBe('');
    for (const p of packages) expect(helm(3, ['uninstall', p.name, '-n', namespace, '--wait']).code).toBe(0);
  });
});
