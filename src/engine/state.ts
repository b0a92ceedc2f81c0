/**
 * What discovery found (the cluster, read once) and what the plan says to do. Plain data: the planner is a
 * pure function of the first, the executor carries out exactly the second.
 */
import type { InstallRecord, ObjectIdentity } from '../apply/record.ts';
import type { CrdStatus } from '../cluster/discovery.ts';
import type { ChartKey, ChartSource } from '../config/values-schema.ts';
import type { ReleaseState } from '../helm/install.ts';
import type { KubeObject } from '../render/k8s-types.ts';
import type { FieldChange } from './diff.ts';

/** A live object as the server returned it (metadata with uid, resourceVersion, labels, managedFields). */
export type LiveObject = Record<string, unknown> & {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: { manager?: string; operation?: string; fieldsV1?: unknown }[] };
};

export interface ClusterState {
  context: string;
  release: string;
  namespace: string;
  scope: 'cluster' | 'namespace';
  targetNamespace: string;
  /** This install's record, if any. */
  record?: InstallRecord | undefined;
  /** The namespace exists (and is not terminating). */
  namespaceExists: boolean;
  /** What the render produced, with the cluster's secret material. */
  desired: KubeObject[];
  /** The live copy of each desired object that exists, by objectKey. */
  live: Map<string, LiveObject>;
  /** Objects carrying this install's ownership labels (metadata only), by objectKey, with their kind's apiVersion. */
  owned: Map<string, { apiVersion: string; kind: string; object: LiveObject }>;
  /** The helm releases this install would own, by component (undefined: absent). */
  helm: Partial<Record<ChartKey, { release: string; namespace: string; state: ReleaseState | undefined }>>;
  /** The Dynamo CRDs (cluster-wide installs). */
  crds: CrdStatus[];
  /** helm releases other than ours named by the CRDs' ownership: gone ones may be taken over, a live one may not. */
  crdOwners: { gone: string[]; live?: { release: string; namespace: string } | undefined };
  /** Add-on operators (Grove, Kai) already running elsewhere, by component. */
  operatorsElsewhere: Partial<Record<ChartKey, { namespace: string; name: string }>>;
}

export type ObjectAction =
  | { action: 'create'; object: KubeObject }
  /** `takeover`: whose object it was (adoption): applied with force, then every other owner's fields and helm's annotations dropped. */
  | { action: 'update'; object: KubeObject; changes: FieldChange[]; uid: string; resourceVersion: string; force: boolean; takeover?: string }
  /** A field the server will not change in place (a binding's roleRef): deleted (uid precondition), then created. */
  | { action: 'replace'; object: KubeObject; uid: string; resourceVersion: string; reason: string }
  | { action: 'unchanged'; object: KubeObject; uid: string; resourceVersion: string }
  /** Another dynamoctl release already has it, identical: used, not written, not owned. */
  | { action: 'shared'; object: KubeObject; owner: string }
  | { action: 'conflict'; object: KubeObject; reason: string }
  /** `reason`: why an object that is not ours goes (adoption: what the chart's hooks left). */
  | { action: 'prune'; id: ObjectIdentity; uid: string; resourceVersion: string; reason?: string };

export interface ChartRef {
  component: ChartKey;
  release: string;
  namespace: string;
  chart: string;
  version: string;
}

/** Objects another helm release holds that this release takes over: their release annotations are pointed at it first, and helm adopts them. */
export interface Handover {
  from: string;
  objects: ObjectIdentity[];
}

export type HelmAction =
  | (ChartRef & { action: 'install'; source: ChartSource; values: Record<string, unknown>; takeOwnership: boolean; takingOver: string[]; handover?: Handover })
  | (ChartRef & { action: 'upgrade'; source: ChartSource; values: Record<string, unknown>; takeOwnership: boolean; takingOver: string[]; revision: number; handover?: Handover })
  | (ChartRef & { action: 'reuse'; reason: string })
  | (ChartRef & { action: 'remove'; revision: number });

export interface Plan {
  release: string;
  namespace: string;
  scope: 'cluster' | 'namespace';
  targetNamespace: string;
  platformVersion: string;
  /** An install record exists: this is an upgrade (or a repeat). */
  upgrade: boolean;
  createNamespace: boolean;
  objects: ObjectAction[];
  /** In the order they run: CRDs, then NATS and etcd, then Grove and Kai, then removals. */
  helm: HelmAction[];
  /** The operator Deployment to wait for. */
  rollout: { kind: 'Deployment'; name: string; namespace: string };
  /** Taking over a helm release of the upstream chart (dynamoctl adopt). */
  adopting?: Adopting | undefined;
}

/**
 * What an adoption lets the planner take: the objects of helm release `release` in `namespace` and the
 * objects the chart's hooks made (`hookMade`, by objectKey), which carry no release annotation.
 */
export interface Adopting {
  release: string;
  namespace: string;
  hookMade: string[];
  /** Objects of that release dynamoctl does not render, and what its hooks left: removed. */
  removals: Extract<ObjectAction, { action: 'prune' }>[];
  /** The subcharts' objects, by component: handed to the release dynamoctl installs for it. */
  handovers: Partial<Record<ChartKey, ObjectIdentity[]>>;
}

export const conflicts = (plan: Plan): Extract<ObjectAction, { action: 'conflict' }>[] => plan.objects.filter((a): a is Extract<ObjectAction, { action: 'conflict' }> => a.action === 'conflict');
