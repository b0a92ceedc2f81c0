/** Runs installPlatform against the in-memory cluster and helm, collecting what it said and what it sent. */
import type { ValueFlags } from '../../../src/config/resolve.ts';
import type { Values } from '../../../src/config/values-schema.ts';
import type { PlanView } from '../../../src/engine/describe.ts';
import type { EngineEvent } from '../../../src/engine/events.ts';
import { DYNAMO_CRDS } from '../../../src/checks/preflight.ts';
import { installPlatform, type InstallSummary } from '../../../src/install/install.ts';
import { KIND_RESOURCES } from '../../../src/render/k8s-types.ts';
import { FakeCluster, type LoggedRequest } from '../../helpers/fake-cluster.ts';
import { FakeHelm, type FakeHelmOptions } from '../../helpers/fake-helm.ts';
import { caseValues } from '../../helpers/render.ts';

export const VERSION = '0.9.0';
export const NS = 'dynamo-system';
export const RELEASE = 'dynamo-platform';
export const DEPLOYMENT = `/apis/apps/v1/namespaces/${NS}/deployments/${RELEASE}-dynamo-operator-controller-manager`;
export const SERVICE_ACCOUNT = `/api/v1/namespaces/${NS}/serviceaccounts/${RELEASE}-dynamo-operator-controller-manager`;
export const MANAGER_ROLE = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${RELEASE}-dynamo-operator-manager-role`;
export const RECORD = `/api/v1/namespaces/${NS}/secrets/dynamoctl-install-${RELEASE}`;

export const valuesFor = (flags: ValueFlags = {}, file?: string): Values => caseValues({ name: 'engine', ...(file ? { values: file } : {}) }, flags);

export interface Env {
  cluster: FakeCluster;
  helm: FakeHelm;
}

/** A cluster with nothing installed; the dynamo-crds chart creates its CRDs, Established. */
export function emptyEnv(helm: FakeHelmOptions = {}, cluster = new FakeCluster()): Env {
  const onInstall: FakeHelmOptions['onInstall'] = (spec) => {
    if (spec.release !== 'dynamo-crds') return;
    for (const name of DYNAMO_CRDS) {
      if (cluster.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)) continue;
      const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name, annotations: { 'meta.helm.sh/release-name': 'dynamo-crds', 'meta.helm.sh/release-namespace': 'default' } }, spec: { group: 'nvidia.com' } };
      cluster.seed(crd, { manager: 'helm', status: { conditions: [{ type: 'Established', status: 'True' }, { type: 'NamesAccepted', status: 'True' }] } });
    }
  };
  return { cluster, helm: new FakeHelm({ ...helm, onInstall }) };
}

export interface Run {
  events: EngineEvent[];
  plan: PlanView | undefined;
  summary?: InstallSummary;
  error?: Error;
  /** Where the request log and the helm calls stood when the confirmation returned. */
  mark: number;
  helmMark: number;
  ms: number;
}

export interface RunOptions {
  values?: Values;
  forceConflicts?: boolean;
  platformVersion?: string;
  /** Runs inside the confirmation, after the plan was shown (a change made before execution). */
  meanwhile?: (env: Env, plan: PlanView) => void;
}

export async function install(env: Env, o: RunOptions = {}): Promise<Run> {
  const run: Run = { events: [], plan: undefined, mark: -1, helmMark: -1, ms: 0 };
  const start = performance.now();
  try {
    run.summary = await installPlatform({
      values: o.values ?? valuesFor(),
      overrides: {},
      target: { timeoutMs: 5000 },
      helm: {},
      emit: (e) => {
        run.events.push(e);
        if (e.type === 'plan') run.plan = e.plan;
      },
      confirm: async (plan) => {
        o.meanwhile?.(env, plan);
        [run.mark, run.helmMark] = [env.cluster.log.length, env.helm.calls.length];
        return true;
      },
      dryRun: false,
      forceConflicts: o.forceConflicts ?? false,
      skipChecks: [],
      reportChecks: () => {},
      kube: env.cluster,
      helmApi: env.helm,
      checks: false,
      platformVersion: o.platformVersion ?? VERSION,
    });
  } catch (error) {
    run.error = error as Error;
  }
  run.ms = performance.now() - start;
  return run;
}

const KINDS = new Map(Object.entries(KIND_RESOURCES).map(([kind, [, resource]]) => [resource, kind]));

/** "Kind ns/name", as the plan names objects, from a REST path. */
export function labelOf(path: string): string {
  const s = path.split('/').filter(Boolean);
  const rest = s[0] === 'api' ? s.slice(2) : s.slice(3);
  const [ns, resource, name] = rest[0] === 'namespaces' && rest.length >= 3 ? [rest[1], rest[2]!, rest[3]] : [undefined, rest[0]!, rest[1]];
  return `${KINDS.get(resource)} ${ns ? `${ns}/` : ''}${name}`;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Writes since `from`, other than the install lock's Lease and the install record. */
export const writesSince = (log: LoggedRequest[], from: number): LoggedRequest[] => log.slice(from).filter((r) => WRITES.has(r.method) && !r.path.includes('/leases') && r.path !== RECORD);

/** A cluster where `install` already ran (its logs emptied). */
export async function installedEnv(o: RunOptions = {}): Promise<Env> {
  const env = emptyEnv();
  const run = await install(env, o);
  if (run.error) throw run.error;
  env.cluster.log.length = 0;
  env.helm.calls.length = 0;
  return env;
}

/** An independent copy of an environment (so one install serves many tests). */
export function copyEnv(env: Env): Env {
  const copy = emptyEnv(env.helm.opts, env.cluster.clone());
  for (const [k, v] of env.helm.releases) copy.helm.releases.set(k, { ...v });
  return copy;
}
