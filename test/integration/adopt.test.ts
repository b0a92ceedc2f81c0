/**
 * `dynamoctl adopt` on the real control plane, from a real `helm install` of the dynamo-platform 0.8.1
 * stand-in (test/cluster/umbrella.ts: the upstream render's operator templates, our NATS and etcd fixture
 * charts, the hook Jobs' own scripts run as the Jobs would): nothing restarts, helm's view moves to
 * <release>-nats and <release>-etcd, a re-install changes nothing, uninstall removes everything; a dry run
 * changes nothing; a killed adoption converges when run again; an unsupported version is refused; a
 * namespace-restricted umbrella becomes a namespace-mode install.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cliPath } from '../helpers/cli.ts';
import { installUmbrella, runUmbrellaHooks } from '../cluster/umbrella.ts';
import { cluster, eventually, helm, kubectl, kubectlOk, uniqueName, type HelmMajor } from './cluster.ts';
import { installCrdsByHand, installEnvironment, removeByHand } from './environment.ts';

const env = installEnvironment('adopt');
const PODMONITOR_CRD = 'podmonitors.monitoring.coreos.com';
const crds = fileURLToPath(new URL('../fixtures/crds/render-dependencies.yaml', import.meta.url));
const installs: { release: string; ns: string }[] = [];

beforeAll(() => {
  // case 01 assumes the cluster serves PodMonitors (the chart renders them only then)
  kubectlOk(['apply', '--server-side', '-f', '-'], { input: readFileSync(crds, 'utf8').split(/^---$/m).find((d) => d.includes(PODMONITOR_CRD))! });
});
afterAll(() => {
  for (const { release, ns } of installs) {
    helm(3, ['uninstall', release, '-n', ns, '--ignore-not-found']);
    removeByHand(release, ns);
    kubectl(['delete', 'clusterroles,clusterrolebindings,validatingwebhookconfigurations', '-l', `app.kubernetes.io/instance=${release}`, '--ignore-not-found']);
  }
  kubectl(['delete', 'crd', PODMONITOR_CRD, '--ignore-not-found', '--wait=false']);
});

function umbrella(caseName: string, release: string, ns: string, o: { helm?: HelmMajor; version?: string } = {}): void {
  installs.push({ release, ns });
  installUmbrella({ into: env.work, caseName, release, namespace: ns, kubeconfig: cluster().kubeconfig, helmEnv: cluster().helmEnv, ...(o.helm ? { helm: o.helm } : {}), ...(o.version ? { version: o.version } : {}) });
}

/** A no-op upgrade, as most installs have had, hooks and all (Bitnami etcd's first upgrade restarts it once: see the second test). */
function upgradeUmbrella(release: string, ns: string): void {
  const upgraded = helm(3, ['upgrade', release, `${env.work}/dynamo-platform`, '-n', ns, '--reuse-values', '--wait']);
  expect(upgraded.code, upgraded.stderr).toBe(0);
  runUmbrellaHooks({ release, namespace: ns, kubeconfig: cluster().kubeconfig, helmEnv: cluster().helmEnv });
}

/** The UIDs of the pods and volume claims in `ns` (what must survive the adoption). */
const uids = (ns: string): Record<string, string> =>
  Object.fromEntries(
    kubectlOk(['get', 'pods,pvc', '-n', ns, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.uid}{"\\n"}{end}'])
      .split('\n')
      .filter((l) => l && !l.includes('-webhook-'))
      .map((l) => l.split('=') as [string, string]),
  );
const releases = (ns: string): string[] => (JSON.parse(helm(3, ['list', '-n', ns, '-a', '-o', 'json']).stdout) as { name: string; status: string }[]).map((r) => `${r.name}:${r.status}`).sort();
const writers = (path: string[]): string[] =>
  (JSON.parse(kubectlOk(['get', ...path, '-o', 'json', '--show-managed-fields'])) as { metadata: { managedFields: { manager: string; operation: string; subresource?: string }[] } }).metadata.managedFields
    .filter((m) => !m.subresource)
    .map((m) => `${m.manager}/${m.operation}`);
const recordOf = (release: string, ns: string): { phase: string; adoptedFrom?: { release: string } } | undefined => {
  const r = kubectl(['get', 'secret', `dynamoctl-install-${release}`, '-n', ns, '-o', 'jsonpath={.data.record\\.json}']);
  return r.code === 0 && r.stdout ? (JSON.parse(Buffer.from(r.stdout, 'base64').toString('utf8')) as { phase: string }) : undefined;
};

describe('adopting a helm install of dynamo-platform', () => {
  it('takes it over without a restart: helm keeps NATS and etcd under their own releases, a re-install changes nothing, uninstall removes everything', () => {
    const [release, ns] = ['dpa', uniqueName('adopt')];
    umbrella('01-defaults', release, ns);
    upgradeUmbrella(release, ns);
    const before = uids(ns);
    expect(Object.keys(before).map((k) => k.replace(/-controller-manager-.*/, '-controller-manager')).sort()).toEqual(
      [`PersistentVolumeClaim/data-${release}-etcd-0`, `PersistentVolumeClaim/${release}-nats-js-${release}-nats-0`, `Pod/${release}-dynamo-operator-controller-manager`, `Pod/${release}-etcd-0`, `Pod/${release}-nats-0`].sort(),
    );
    const cert = kubectlOk(['get', 'secret', 'webhook-server-cert', '-n', ns, '-o', 'jsonpath={.metadata.uid} {.data.ca\\.crt}']);

    // install and status point at adopt, and change nothing
    const install = env.dynamoctl(['install', '--release', release, '-n', ns, '--yes']);
    expect(install.code, install.stderr).toBe(2);
    expect(install.stderr).toContain(`dynamoctl adopt --release ${release} -n ${ns}`);
    const status = env.dynamoctl(['status', '--release', release, '-n', ns]);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(`is a helm release (dynamo-platform 0.8.1), not a dynamoctl install`);

    // a dry run shows the takeover and changes nothing
    const deploymentVersion = kubectlOk(['get', 'deployment', `${release}-dynamo-operator-controller-manager`, '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}']);
    const dry = env.dynamoctl(['adopt', '--release', release, '-n', ns, '--dry-run', '-f', env.chartValues()]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`~ take over Deployment ${ns}/${release}-dynamo-operator-controller-manager: from helm release ${release}`);
    expect(dry.stderr).toContain(`- prune Job ${ns}/${release}-dynamo-operator-webhook-cert-gen-1: left by the chart's hooks`);
    expect(dry.stderr).toMatch(new RegExp(`helm install ${release}-nats -n ${ns} \\(nats 1\\.3\\.2\\): takes over the \\d+ objects of helm release ${release}`));
    expect(dry.stderr).not.toContain('restarts pods');
    expect(dry.stderr).toContain('helm renders NATS and etcd as they run: the handover restarts no pod');
    expect(recordOf(release, ns)).toBeUndefined();
    expect(kubectlOk(['get', 'deployment', `${release}-dynamo-operator-controller-manager`, '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}'])).toBe(deploymentVersion);

    const adopted = env.dynamoctl(['adopt', '--release', release, '-n', ns, '--yes', '-f', env.chartValues()]);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(uids(ns)).toEqual(before);
    expect(releases(ns)).toEqual([`${release}-etcd:deployed`, `${release}-nats:deployed`]);
    expect(recordOf(release, ns)).toMatchObject({ phase: 'installed', adoptedFrom: { release } });
    expect(writers(['deployment', `${release}-dynamo-operator-controller-manager`, '-n', ns])).toEqual(['dynamoctl/Apply']);
    expect(writers(['validatingwebhookconfiguration', `${release}-dynamo-operator-validating`])).toEqual(['dynamoctl/Apply']);
    expect(kubectlOk(['get', 'secret', 'webhook-server-cert', '-n', ns, '-o', 'jsonpath={.metadata.uid} {.data.ca\\.crt}'])).toBe(cert);
    // the hooks' leftovers are gone (both revisions' Jobs), NATS and etcd now answer to their releases
    expect(kubectlOk(['get', 'jobs,roles', '-n', ns, '-o', 'name'])).not.toMatch(/cert-gen|ca-inject|ssh-keygen/);
    expect(kubectl(['get', 'clusterrole', `${release}-dynamo-operator-webhook-ca-inject`]).code).not.toBe(0);
    expect(kubectlOk(['get', 'statefulset', `${release}-nats`, '-n', ns, '-o', 'jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-name}'])).toBe(`${release}-nats`);

    const healthy = env.dynamoctl(['status', '--release', release, '-n', ns]);
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(healthy.stdout).toContain('0 missing, 0 changed');
    const repeated = env.dynamoctl(['adopt', '--release', release, '-n', ns, '--yes', '-f', env.chartValues()]);
    expect(repeated.code, repeated.stderr).toBe(0);
    expect(repeated.stderr).toMatch(new RegExp(`helm release ${release} in ${ns} was adopted already \\(dynamo-platform 0\\.8\\.1, finished \\S+\\): nothing to do`));
    const again = env.dynamoctl(['install', '--release', release, '-n', ns, '--yes', '-o', 'json']);
    expect(again.code, again.stderr).toBe(0);
    const result = JSON.parse(again.stdout.trim().split('\n').at(-1)!) as { plan: { objects: { action: string; object: string }[]; helm: { action: string }[] } };
    // every operator object as it is; helm upgrades NATS and etcd (as every install does), which changes nothing of theirs
    expect(result.plan.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'shared')).toEqual([]);
    expect(result.plan.helm.map((h) => h.action)).not.toContain('install');
    expect(uids(ns)).toEqual(before);

    const gone = env.dynamoctl(['uninstall', '--release', release, '-n', ns, '--yes', '--delete-data']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(releases(ns)).toEqual([]);
    expect(kubectlOk(['get', 'clusterroles,clusterrolebindings,validatingwebhookconfigurations', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])).toBe('');
  });

  it('says which pods the handover restarts (Bitnami etcd never upgraded), and a killed adoption converges when run again', async () => {
    const [release, ns] = ['dpb', uniqueName('adopt-killed')];
    umbrella('01-defaults', release, ns, { helm: 4 });
    const before = uids(ns);
    const dry = env.dynamoctl(['adopt', '--release', release, '-n', ns, '--dry-run', '-f', env.chartValues()]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`the handover restarts pods: etcd: StatefulSet ${release}-etcd (spec.template.metadata.annotations.checksum/token-secret); volumes and data are kept`);
    expect(dry.stderr).not.toContain('NATS: StatefulSet');

    // killed (with helm) while helm installs the NATS release, its record pending-install: the run also adds a
    // nats-box whose image does not exist, so helm waits there (as a user would kill a run stuck on a bad image)
    const box = ['--set', 'nats.natsBox.enabled=true'];
    const args = ['adopt', '--release', release, '-n', ns, '--yes', ...box, '--set', 'nats.natsBox.container.image.repository=does-not-exist/nats-box', ...env.common(['install']), '--kubeconfig', cluster().kubeconfig];
    const pendingRecord = ['get', 'secrets', '-n', ns, '-l', `owner=helm,name=${release}-nats,status=pending-install`, '-o', 'name'];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [cliPath, ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...cluster().helmEnv } });
      let watching: NodeJS.Timeout | undefined;
      child.stderr.on('data', (chunk: Buffer) => {
        if (watching || !chunk.toString().includes('handing')) return;
        watching = setInterval(() => {
          if (kubectl(pendingRecord).stdout.trim()) process.kill(-child.pid!, 'SIGKILL');
        }, 100);
      });
      child.on('exit', (c) => {
        clearInterval(watching);
        resolve(c);
      });
    });
    expect(code).toBeNull();
    // (etcd's install runs beside it: pending or done)
    expect(releases(ns)).toEqual(expect.arrayContaining([`${release}-nats:pending-install`, `${release}:deployed`]));
    expect(recordOf(release, ns)).toMatchObject({ phase: 'installing', adoptedFrom: { release } });
    const half = env.dynamoctl(['status', '--release', release, '-n', ns]);
    expect(half.code).toBe(3);
    expect(half.stdout).toContain(`the adoption of helm release ${release} (dynamo-platform 0.8.1) did not finish`);
    // a killed run cannot release its lock; clearing it is the documented way out (else it lapses)
    kubectl(['delete', 'lease', 'dynamoctl-install-lock', '-n', 'default', '--ignore-not-found']);

    // the image fixed, run again
    const rerun = env.dynamoctl(['adopt', '--release', release, '-n', ns, '--yes', ...box, '-f', env.chartValues()]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`NATS: not previewed, ${release}-nats was left pending-install by an interrupted run`);
    // forgotten, never uninstalled (that would delete the NATS objects it was taking over)
    expect(rerun.stderr).toContain(`nats: release ${release}-nats was left pending-install by an interrupted adoption; its record forgotten, objects kept`);
    expect(releases(ns)).toEqual([`${release}-etcd:deployed`, `${release}-nats:deployed`]);
    const after = uids(ns);
    // etcd restarted once, as said; everything else, and every volume, is what it was
    for (const [k, uid] of Object.entries(before)) if (k !== `Pod/${release}-etcd-0`) expect(after[k], k).toBe(uid);
    await eventually('etcd running again', () => kubectl(['get', 'pod', `${release}-etcd-0`, '-n', ns, '-o', 'jsonpath={.status.phase}']).stdout === 'Running');
    const healthy = env.dynamoctl(['status', '--release', release, '-n', ns]);
    expect(healthy.code, healthy.stdout).toBe(0);
  });

  it('refuses a chart version it does not render, changing nothing', () => {
    const [release, ns] = ['dpc', uniqueName('adopt-old')];
    umbrella('01-defaults', release, ns, { version: '0.7.2' });
    const refused = env.dynamoctl(['adopt', '--release', release, '-n', ns, '--yes', '-f', env.chartValues()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`helm release ${release} in ${ns} is chart dynamo-platform 0.7.2; dynamoctl adopts chart dynamo-platform 0.8.x only`);
    expect(releases(ns)).toEqual([`${release}:deployed`]);
    expect(recordOf(release, ns)).toBeUndefined();
    expect(writers(['deployment', `${release}-dynamo-operator-controller-manager`, '-n', ns])).toEqual(['helm/Update']);
  });

  it('adopts a namespace-restricted umbrella into a namespace-mode install', () => {
    const [release, ns] = ['dpd', uniqueName('adopt-ns')];
    installCrdsByHand();
    umbrella('02-namespace-restricted', release, ns);
    upgradeUmbrella(release, ns);
    const before = uids(ns);
    const adopted = env.dynamoctl(['adopt', '--release', release, '-n', ns, '--yes', '-f', env.chartValues()]);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(adopted.stderr).toContain(`± replace RoleBinding ${ns}/${release}-dynamo-operator-proxy-rolebinding: roleRef ClusterRole ${release}-dynamo-operator-proxy-role -> Role ${release}-dynamo-operator-proxy-role`);
    expect(uids(ns)).toEqual(before);
    expect(recordOf(release, ns)).toMatchObject({ phase: 'installed', scope: 'namespace' });
    expect(kubectlOk(['get', 'rolebinding', `${release}-dynamo-operator-proxy-rolebinding`, '-n', ns, '-o', 'jsonpath={.roleRef.kind}'])).toBe('Role');
    const healthy = env.dynamoctl(['status', '--release', release, '-n', ns]);
    expect(healthy.code, healthy.stdout).toBe(0);
  });
});
