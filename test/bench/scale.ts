/**
 * A control plane seeded to the size of a busy shared GPU cluster: 2,000 namespaces, 10,000 Roles (a few of
 * them Dynamo manager Roles), 3,000 ClusterRoles and 3,000 ClusterRoleBindings, plus one upstream-chart
 * cluster-wide Dynamo operator. Seeded through the API with bounded concurrency.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kube } from '../../src/cluster/client.ts';
import { ensureBinaries, startCluster, stopCluster } from '../cluster/control-plane.ts';
import { operatorObjects } from '../integration/operators.ts';
import { writeChartSources } from '../helpers/fixtures.ts';

export interface SeededCluster {
  kubeconfig: string;
  chartValues: string;
  stop(): Promise<void>;
}

const NAMESPACES = 2000;
const ROLES_PER_NAMESPACE = 5;
const CLUSTER_ROLES = 3000;

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const pad = (i: number): string => String(i).padStart(4, '0');

export async function seededCluster(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<SeededCluster> {
  ensureBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-bench-'));
  const info = await startCluster({ dir, detached: false });
  const kube = Kube.load({ kubeconfig: info.kubeconfig, timeoutMs: 60_000 });
  const t0 = performance.now();
  const post = (path: string, body: object) => kube.request('POST', path, { body });

  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-ns-${pad(i)}`);
  await inParallel(namespaces, 32, (name) => post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  const roles = namespaces.flatMap((ns, i) =>
    Array.from({ length: ROLES_PER_NAMESPACE }, (_, k) => ({
      ns,
      // every 500th namespace hosts a (leftover) namespace-restricted Dynamo operator's manager Role
      name: k === 0 && i % 500 === 1 ? `team${i}-dynamo-operator-manager-role` : `app-role-${k}`,
    })),
  );
  await inParallel(roles, 32, ({ ns, name }) =>
    post(`${RBAC}/namespaces/${ns}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: ns }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] }),
  );
  const clusterRoles = Array.from({ length: CLUSTER_ROLES }, (_, i) => `bench-cr-${pad(i)}`);
  await inParallel(clusterRoles, 32, async (name) => {
    await post(`${RBAC}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
    await post(`${RBAC}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: namespaces[Number(name.slice(-4)) % NAMESPACES] }],
    });
  });
  // one running cluster-wide operator installed by the upstream chart
  await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy-dynamo' } });
  for (const o of operatorObjects({ release: 'legacy', namespace: 'legacy-dynamo', scope: 'cluster' }, 'helm-chart')) {
    const plural = `${o.kind.toLowerCase()}s`;
    const group = o.kind === 'Deployment' ? '/apis/apps/v1' : o.kind === 'ServiceAccount' ? '/api/v1' : RBAC;
    await post(o.metadata.namespace ? `${group}/namespaces/${o.metadata.namespace}/${plural}` : `${group}/${plural}`, o);
  }
  log(`bench: seeded ${namespaces.length} namespaces, ${roles.length} Roles, ${clusterRoles.length} ClusterRoles and bindings in ${((performance.now() - t0) / 1000).toFixed(0)}s (${kube.requests} requests)`);

  const chartValues = join(dir, 'charts.yaml');
  writeChartSources(chartValues, info.charts.httpRepo);
  return {
    kubeconfig: info.kubeconfig,
    chartValues,
    stop: async () => {
      await stopCluster(info);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
