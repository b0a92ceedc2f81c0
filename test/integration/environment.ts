/**
 * What the install and uninstall tests share: the fixture chart sources, a default StorageClass, and the
 * Dynamo CRDs removed again afterwards (other files expect a cluster without them), plus a way to run
 * dynamoctl against the test cluster. Call at the top level of a test file; it registers the hooks.
 */
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { defaultStorageClass, writeChartSources } from '../helpers/fixtures.ts';
import { restrictedKubeconfig } from '../cluster/control-plane.ts';
import { cluster, helm, kubectl, kubectlOk, yamlStream } from './cluster.ts';

export const DYNAMO_CRDS = ['dynamocomponentdeployments', 'dynamographdeploymentrequests', 'dynamographdeployments', 'dynamographdeploymentscalingadapters', 'dynamomodels', 'dynamoworkermetadatas'].map(
  (n) => `${n}.nvidia.com`,
);

export interface InstallEnvironment {
  /** A scratch folder of the test file. */
  work: string;
  /** The values file pointing every chart at the loopback fixture repository. */
  chartValues(): string;
  /** The arguments a run needs besides its own: the chart sources (install only) and the test's helm. */
  common(args: readonly string[]): string[];
  /** Runs dynamoctl against the test cluster (admin unless `kubeconfig` says otherwise). */
  dynamoctl(args: string[], kubeconfig?: string): CliResult;
}

export function installEnvironment(name: string): InstallEnvironment {
  const work = mkdtempSync(join(tmpdir(), `dynamoctl-${name}-`));
  const storageClass = defaultStorageClass(`${name}-test-default`);
  let chartValues = '';
  beforeAll(() => {
    chartValues = writeChartSources(join(work, 'charts.yaml'), cluster().charts.httpRepo);
    kubectlOk(['apply', '--server-side', '-f', '-'], { input: yamlStream([storageClass]) });
  });
  afterAll(() => {
    helm(3, ['uninstall', 'dynamo-crds', '-n', 'default', '--wait']);
    kubectl(['delete', 'crd', ...DYNAMO_CRDS, '--ignore-not-found', '--wait=false']);
    kubectl(['delete', 'storageclass', storageClass.metadata.name, '--ignore-not-found']);
  });
  const common = (args: readonly string[]): string[] => [...(args[0] === 'install' ? ['-f', chartValues] : []), '--helm-binary', cluster().binaries.helm3];
  return {
    work,
    chartValues: () => chartValues,
    common,
    dynamoctl: (args, kubeconfig = cluster().kubeconfig) => runCli([...args, '--kubeconfig', kubeconfig, ...common(args)], { env: cluster().helmEnv }),
  };
}

/**
 * The Dynamo CRDs as an administrator installs them before a namespace-mode install. Earlier files leave
 * CRDs behind that name their own (uninstalled) release, as the real chart's keep policy does: taken over.
 */
export function installCrdsByHand(): void {
  const r = helm(3, ['upgrade', '--install', 'dynamo-crds', 'dynamo-crds', '--repo', cluster().charts.httpRepo, '--version', '0.8.1', '-n', 'default', '--wait', '--take-ownership']);
  if (r.code !== 0) throw new Error(`helm could not install dynamo-crds: ${r.stderr}`);
}

/** Removes an install without dynamoctl (the tests' safety net): helm releases, the operator, cluster-scoped objects, the namespace. */
export function removeByHand(release: string, namespace: string): void {
  for (const r of [`${release}-nats`, `${release}-etcd`]) helm(3, ['uninstall', r, '-n', namespace, '--wait', '--ignore-not-found']);
  const owned = `app.kubernetes.io/instance=${release},dynamoctl.nvidia.com/release-namespace=${namespace}`;
  // the Deployment first: in a terminating namespace it would still count as a running operator
  kubectl(['delete', 'deployments', '-n', namespace, '-l', owned, '--wait=true', '--ignore-not-found']);
  kubectl(['delete', 'clusterroles,clusterrolebindings,validatingwebhookconfigurations', '-l', owned, '--ignore-not-found']);
  kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
}

/**
 * A namespace admin who may run operators: the built-in `admin` role in `namespace`, plus escalate and bind
 * on Roles there (the operator's Role holds more than admin does). Returns its kubeconfig.
 */
export function operatorTeamKubeconfig(user: string, namespace: string): string {
  const kubeconfig = restrictedKubeconfig(cluster(), user, namespace);
  const rbac = 'rbac.authorization.k8s.io';
  kubectlOk(['apply', '--server-side', '-f', '-'], {
    input: yamlStream([
      { apiVersion: `${rbac}/v1`, kind: 'Role', metadata: { name: 'rbac-escalate', namespace }, rules: [{ apiGroups: [rbac], resources: ['roles'], verbs: ['escalate', 'bind'] }] },
      { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: 'rbac-escalate', namespace }, roleRef: { apiGroup: rbac, kind: 'Role', name: 'rbac-escalate' }, subjects: [{ apiGroup: rbac, kind: 'User', name: user }] },
    ]),
  });
  return kubeconfig;
}
