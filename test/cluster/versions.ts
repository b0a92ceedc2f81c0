/**
 * Where the pinned test binaries live. The versions are read from build-binaries.sh, their single source,
 * so the harness, the benchmarks and the build can never disagree.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const script = readFileSync(new URL('./build-binaries.sh', import.meta.url), 'utf8');

function pin(name: string): string {
  const m = new RegExp(`^${name}=(\\S+)$`, 'm').exec(script);
  if (!m?.[1]) throw new Error(`build-binaries.sh does not pin ${name}`);
  return m[1];
}

export const versions = {
  kubernetes: pin('K8S_VERSION'),
  etcd: pin('ETCD_VERSION'),
  kwok: pin('KWOK_VERSION'),
  helm3: pin('HELM3_VERSION'),
  helm4: pin('HELM4_VERSION'),
  registry: pin('REGISTRY_VERSION'),
};

export const cacheRoot = process.env.DYNAMOCTL_CACHE ?? join(homedir(), '.cache', 'dynamoctl');
const dir = (tool: string, version: string): string => join(cacheRoot, 'bin', `${tool}-${version}`);

/** Absolute paths of every binary the harness runs. */
export const binaries = {
  kubeApiserver: join(dir('kubernetes', versions.kubernetes), 'kube-apiserver'),
  kubeControllerManager: join(dir('kubernetes', versions.kubernetes), 'kube-controller-manager'),
  kubeScheduler: join(dir('kubernetes', versions.kubernetes), 'kube-scheduler'),
  kubectl: join(dir('kubernetes', versions.kubernetes), 'kubectl'),
  etcd: join(dir('etcd', versions.etcd), 'etcd'),
  kwok: join(dir('kwok', versions.kwok), 'kwok'),
  kwokStages: join(dir('kwok', versions.kwok), 'stage'),
  helm3: join(dir('helm', versions.helm3), 'helm'),
  helm4: join(dir('helm', versions.helm4), 'helm'),
  registry: join(dir('registry', versions.registry), 'registry'),
};

/** The binaries that are missing, so callers can say exactly what to build. */
export function missingBinaries(): string[] {
  return Object.values(binaries).filter((p) => !existsSync(p));
}
