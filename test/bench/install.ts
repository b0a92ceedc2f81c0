/**
 * The install benchmarks' environment: a control plane of their own with the Dynamo CRDs installed and a
 * default StorageClass, and for the by-hand peer, pre-rendered operator manifests and subchart values,
 * so the peer's time is only what a person would run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { resolveValues } from '../../src/config/resolve.ts';
import { subchartValues } from '../../src/components/values.ts';
import { ensureBinaries, startCluster, stopCluster } from '../cluster/control-plane.ts';
import { defaultStorageClass, writeChartSources } from '../helpers/fixtures.ts';
import { defaults } from '../helpers/render.ts';

export interface InstallBench {
  dynamoctl(namespace: string, extra: string[]): string[];
  byHand(namespace: string): string[];
  /** dynamoctl status of what `dynamoctl(namespace, [])` installed. */
  status(namespace: string): string[];
  /** dynamoctl uninstall of what `dynamoctl(namespace, [])` installed. */
  uninstall(namespace: string): string[];
  /** The peer: helm uninstall of the same charts plus deleting the rendered operator objects. */
  uninstallByHand(namespace: string): string[];
  /** helm 3 against this control plane, with `args`. */
  helm(args: string[]): string[];
  /** A fixture chart as helm's arguments: `<name> --repo <repo> --version <version>`. */
  chart(name: string): string[];
  /** A scratch directory of the suite. */
  dir: string;
  stop(): Promise<void>;
}

const dynamoctlBin = fileURLToPath(new URL('../../bin/dynamoctl', import.meta.url));
const RUNS = 12;

export async function installBench(): Promise<InstallBench> {
  ensureBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-bench-install-'));
  const info = await startCluster({ dir, detached: false });
  // every child (dynamoctl, helm, kubectl) uses this cluster's helm home
  Object.assign(process.env, info.helmEnv);
  const run = (args: string[], input?: string): string => {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', input: input ?? '' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const kubectl = [info.binaries.kubectl, `--kubeconfig=${info.kubeconfig}`];
  const helm = [info.binaries.helm3, `--kubeconfig=${info.kubeconfig}`];
  run([...kubectl, 'apply', '--server-side', '-f', '-'], stringify(defaultStorageClass('bench-default')));
  const crds = info.charts.packages.find((p) => p.name === 'dynamo-crds')!;
  run([...helm, 'upgrade', '--install', 'dynamo-crds', crds.file, '-n', 'default', '--wait']);
  const chartValues = writeChartSources(join(dir, 'charts.yaml'), info.charts.httpRepo);

  // the peer's inputs, prepared ahead: the rendered operator and each subchart's values, per namespace
  for (let i = 0; i < RUNS; i++) {
    const ns = `peer-${i}`;
    writeFileSync(join(dir, `${ns}.yaml`), run([process.execPath, dynamoctlBin, 'render', '--scope', 'namespace', '--release', ns, '-n', ns, '--include-secrets']));
    const values = resolveValues({ defaults, files: [], sets: [], flags: { scope: 'namespace', release: ns, namespace: ns } });
    for (const key of ['nats', 'etcd'] as const) writeFileSync(join(dir, `${ns}-${key}.yaml`), stringify(subchartValues(values, key)));
  }
  // namespaces exist beforehand, so no uninstall (ours or the peer's) deletes a namespace
  run([...kubectl, 'create', '-f', '-'], Array.from({ length: RUNS }, (_, i) => `---\n${stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `full-${i}` } })}`).join(''));
  const version = (name: string): string => info.charts.packages.find((p) => p.name === name)!.version;

  return {
    dynamoctl: (ns, extra) => [process.execPath, dynamoctlBin, 'install', '--scope', 'namespace', '--release', ns, '-n', ns, '-f', chartValues, '--yes', '--kubeconfig', info.kubeconfig, '--helm-binary', info.binaries.helm3, ...extra],
    byHand: (ns) => {
      const h = `${helm.join(' ')}`;
      const k = `${kubectl.join(' ')}`;
      const chart = (key: 'nats' | 'etcd') =>
        `${h} upgrade --install ${ns}-${key} ${key} --repo ${info.charts.httpRepo} --version ${version(key)} -n ${ns} --create-namespace --wait -f ${join(dir, `${ns}-${key}.yaml`)}`;
      return ['bash', '-c', `set -e; ${chart('nats')}; ${chart('etcd')}; ${k} apply --server-side -f ${join(dir, `${ns}.yaml`)} >/dev/null; ${k} rollout status deployment/${ns}-dynamo-operator-controller-manager -n ${ns} --timeout=60s >/dev/null`];
    },
    status: (ns) => [process.execPath, dynamoctlBin, 'status', '--release', ns, '-n', ns, '--kubeconfig', info.kubeconfig, '--helm-binary', info.binaries.helm3],
    uninstall: (ns) => [process.execPath, dynamoctlBin, 'uninstall', '--release', ns, '-n', ns, '--yes', '--kubeconfig', info.kubeconfig, '--helm-binary', info.binaries.helm3],
    uninstallByHand: (ns) => {
      const h = `${helm.join(' ')}`;
      return ['bash', '-c', `set -e; ${h} uninstall ${ns}-nats ${ns}-etcd -n ${ns} --wait >/dev/null; ${kubectl.join(' ')} delete --wait -f ${join(dir, `${ns}.yaml`)} >/dev/null`];
    },
    helm: (args) => [...helm, ...args],
    chart: (name) => [name, '--repo', info.charts.httpRepo, '--version', version(name)],
    dir,
    stop: async () => {
      await stopCluster(info);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
