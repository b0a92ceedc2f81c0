/**
 * The benchmark cases, as data, in suites. A case with a `peer` is reported as a ratio against it. A suite
 * may prepare an environment first (the scale suite starts and seeds a control plane) and tear it down.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { binaries } from '../cluster/versions.ts';
import { seededCluster, type SeededCluster } from './scale.ts';
import { installBench, type InstallBench } from './install.ts';
import { imagesBench, type ImagesBench } from './images.ts';
import { closedPortKubeconfig, failFastCases } from './failfast.ts';

export interface BenchCase {
  name: string;
  /** The command of run `run` (0, 1 are warm-ups): cases that install use a fresh namespace each run. */
  command: (run: number) => string[];
  /** Name of the case this one is compared with. */
  peer?: string;
  /** Highest acceptable ratio to the peer; without a peer, the highest acceptable median in ms. */
  target?: number;
  /** Reads extra figures from the command's stdout (e.g. API requests). */
  extra?: (stdout: string) => Record<string, number>;
  /** The command may exit non-zero (check exits 5 when it finds a conflict, which the seed plants). */
  allowFailure?: boolean;
  /** The exit code the command must end with (default 0): a case that times a failure fails the right way. */
  exitCode?: number;
}

export interface BenchSuite {
  name: string;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
  /** Runs per case when slower than the default 15 allow. */
  runs?: number;
  /** Warm-up runs before those (default 2); cases of half a minute need none. */
  warmups?: number;
  cases: BenchCase[];
}

const dynamoctl = fileURLToPath(new URL('../../bin/dynamoctl', import.meta.url));
const fixtureChart = fileURLToPath(new URL('../fixtures/charts/nats', import.meta.url));

function built(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`no ${what} at ${path}: run npm run cluster:build first`);
  return path;
}
const kubectl = (): string => built(binaries.kubectl, 'kubectl');
const helm = (): string => built(binaries.helm3, 'helm');

let scale: SeededCluster | undefined;
const seeded = (): SeededCluster => {
  if (!scale) throw new Error('the scale suite has not been set up');
  return scale;
};

let install: InstallBench | undefined;
const installing = (): InstallBench => {
  if (!install) throw new Error('the install suite has not been set up');
  return install;
};

let images: ImagesBench | undefined;
const imaging = (): ImagesBench => {
  if (!images) throw new Error('the image preflight suite has not been set up');
  return images;
};

/** The images check's own figures in a `check -o json` report: its time and how many images it asked. */
const imagesCheckFigures =
  (expected: 'pass' | 'warn') =>
  (stdout: string): Record<string, number> => {
    const check = (JSON.parse(stdout) as { checks: { id: string; durationMs: number; status: string; message?: string }[] }).checks.find((c) => c.id === 'images');
    if (check?.status !== expected) throw new Error(`the images check did not ${expected}: ${check?.status} ${check?.message}`);
    return { imagesCheckMs: check.durationMs, images: Number(/^(\d+) images/.exec(check.message ?? '')?.[1]) };
  };

/** A suite that installs: a control plane of its own (install.ts), started before its cases and stopped after. */
const ownControlPlane: Pick<BenchSuite, 'setup' | 'teardown'> = {
  setup: async () => {
    install = await installBench();
  },
  teardown: async () => {
    await install?.stop();
    install = undefined;
  },
};

export const suites: BenchSuite[] = [
  {
    name: 'start-up and render',
    cases: [
      { name: 'kubectl version --client', command: () => [kubectl(), 'version', '--client'] },
      { name: 'dynamoctl --version', command: () => [process.execPath, dynamoctl, '--version'], peer: 'kubectl version --client', target: 1.5 },
      { name: 'dynamoctl --help', command: () => [process.execPath, dynamoctl, '--help'], peer: 'kubectl version --client' },
      { name: 'helm template (fixture nats chart)', command: () => [helm(), 'template', 'dynamo-platform', fixtureChart, '-n', 'dynamo-system'] },
      { name: 'dynamoctl render (cluster-wide)', command: () => [process.execPath, dynamoctl, 'render'], peer: 'helm template (fixture nats chart)', target: 1.0 },
      {
        name: 'dynamoctl render (namespace)',
        command: () => [process.execPath, dynamoctl, 'render', '--scope', 'namespace', '-n', 'team-a'],
        peer: 'helm template (fixture nats chart)',
        target: 1.0,
      },
      { name: 'kubectl get ns (closed port)', command: () => [kubectl(), '--kubeconfig', closedPortKubeconfig(), 'get', 'ns'], exitCode: 1 },
      {
        name: 'dynamoctl status (closed port)',
        command: () => [process.execPath, dynamoctl, 'status', '--kubeconfig', closedPortKubeconfig()],
        exitCode: 3,
        peer: 'kubectl get ns (closed port)',
        target: 1.5,
      },
    ],
  },
  {
    name: 'check at scale (2,000 namespaces, 10,000 Roles, 3,000 ClusterRoles and bindings)',
    setup: async () => {
      scale = await seededCluster();
    },
    teardown: async () => {
      await scale?.stop();
      scale = undefined;
    },
    runs: 7,
    cases: [
      {
        // what the chart's lookup validation fetches: every Role, ClusterRole and ClusterRoleBinding
        name: 'kubectl get roles -A, clusterroles, clusterrolebindings (JSON)',
        command: () => ['bash', '-c', `K="${kubectl()} --kubeconfig ${seeded().kubeconfig}"; $K get roles -A -o json >/dev/null && $K get clusterroles -o json >/dev/null && $K get clusterrolebindings -o json >/dev/null`],
      },
      {
        name: 'dynamoctl check -o json',
        command: () => [process.execPath, dynamoctl, 'check', '--kubeconfig', seeded().kubeconfig, '-f', seeded().chartValues, '--helm-binary', helm(), '-n', 'dynamo-bench', '-o', 'json'],
        peer: 'kubectl get roles -A, clusterroles, clusterrolebindings (JSON)',
        target: 1.0,
        allowFailure: true,
        extra: (stdout) => ({ apiRequests: (JSON.parse(stdout) as { apiRequests: number }).apiRequests }),
      },
    ],
  },
  {
    name: 'install (namespace mode, fixture charts, a fresh namespace each run)',
    ...ownControlPlane,
    runs: 5,
    cases: [
      {
        name: 'dynamoctl install, operator only (CRDs present, no subcharts)',
        command: (run) => installing().dynamoctl(`op-${run}`, ['--no-nats', '--no-etcd']),
        target: 5000,
      },
      {
        // the same steps by hand: each chart with helm --wait, then the rendered operator with kubectl
        name: 'helm upgrade --install --wait (nats, etcd) + kubectl apply --server-side (operator)',
        command: (run) => installing().byHand(`peer-${run}`),
      },
      {
        name: 'dynamoctl install, full (nats, etcd, operator)',
        command: (run) => installing().dynamoctl(`full-${run}`, []),
        peer: 'helm upgrade --install --wait (nats, etcd) + kubectl apply --server-side (operator)',
        target: 0.96,
      },
      // the install engine with an empty plan, plus health (#13: at most a second)
      { name: 'dynamoctl status (nats, etcd, operator)', command: (run) => installing().status(`full-${run}`), target: 1000 },
      // each run removes what the same run of the two cases above installed
      { name: 'helm uninstall --wait (nats, etcd) + kubectl delete --wait (operator)', command: (run) => installing().uninstallByHand(`peer-${run}`) },
      {
        name: 'dynamoctl uninstall (nats, etcd, operator)',
        command: (run) => installing().uninstall(`full-${run}`),
        peer: 'helm uninstall --wait (nats, etcd) + kubectl delete --wait (operator)',
        target: 0.43,
      },
    ],
  },
  {
    name: 'image preflight (about 20 images on a loopback registry with token auth)',
    setup: async () => {
      images = await imagesBench();
    },
    teardown: async () => {
      await images?.stop();
      images = undefined;
    },
    runs: 7,
    cases: [
      { name: 'curl: a token and HEAD per manifest, one after another', command: () => imaging().curlPeer() },
      {
        // the whole check; its images figure is in "other" (the bound: about 20 images within 10 s)
        name: 'dynamoctl check -o json (--registry mirror, Grove and Kai)',
        command: () => imaging().check(['--registry', imaging().mirror, '--grove', '--kai']),
        target: 10_000,
        extra: imagesCheckFigures('pass'),
      },
      {
        // the default install's public registries, which do not resolve here: what the check adds to an install
        name: 'dynamoctl check -o json (default values, registries not reachable)',
        command: () => imaging().check([]),
        extra: imagesCheckFigures('warn'),
      },
    ],
  },
  {
    name: 'fail-fast verdicts (an unschedulable etcd, an operator image that does not exist; helm given 60 s)',
    ...ownControlPlane,
    // each run takes half a minute to a minute: no warm-up, three runs
    runs: 3,
    warmups: 0,
    cases: failFastCases(installing, dynamoctl),
  },
];
