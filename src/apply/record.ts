/**
 * The install record: what an install put in the cluster, stored beside it (a Secret in the install
 * namespace, so only those who may read the install's secrets read it). Written as `installing` before the
 * first change and as `installed` after the last, so an interrupted run is never reported as done; status,
 * upgrade and uninstall start from it. Secrets never enter it: overrides are redacted.
 */
import type { ClusterApi } from '../cluster/client.ts';
import { ClusterError } from '../errors.ts';
import type { Scope } from '../conflicts/types.ts';
import { ownerLabels, type LabelContext } from '../render/labels.ts';
import { objectKey, objectPath, type KubeObject } from '../render/k8s-types.ts';

export const RECORD_TYPE = 'dynamoctl.nvidia.com/install-record';
export const recordName = (release: string): string => `dynamoctl-install-${release}`;

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** The live object's uid, when read from the cluster (a delete precondition); never recorded. */
  uid?: string;
}

export interface HelmReleaseRecord {
  /** nats, etcd, grove, kai-scheduler, dynamo-crds */
  component: string;
  release: string;
  namespace: string;
  chart: string;
  version: string;
  /** Installed by another party and left alone (e.g. an existing Grove). */
  reused?: boolean;
}

export interface InstallRecord {
  apiVersion: 'dynamoctl.nvidia.com/v1';
  kind: 'InstallRecord';
  release: string;
  namespace: string;
  scope: Scope;
  targetNamespace: string;
  dynamoctlVersion: string;
  platformVersion: string;
  /** installing: started and not finished (interrupted or failed runs stay here). */
  phase: 'installing' | 'installed';
  startedAt: string;
  finishedAt?: string;
  /** The user's own values (every layer but the defaults), secrets redacted: upgrade re-renders from them. */
  overrides: Record<string, unknown>;
  helmReleases: HelmReleaseRecord[];
  /** The operator objects dynamoctl applied. */
  inventory: ObjectIdentity[];
  /** Objects another release owns that this one uses as they are (cluster-scoped fixed names): never deleted by this release. */
  shared?: ObjectIdentity[];
  /** dynamoctl created the install namespace (uninstall may then remove it). */
  createdNamespace: boolean;
  skippedChecks: { id: string; reason: string }[];
  /** Taken over from a helm release of the upstream chart (dynamoctl adopt). */
  adoptedFrom?: AdoptedFrom;
}

export interface AdoptedFrom {
  release: string;
  namespace: string;
  chart: string;
  version: string;
  /**
   * Values that keep the adopted workloads as they ran (the running kube-rbac-proxy image, the subcharts'
   * instance label in selectors): every later install and status uses them under the user's own values.
   */
  pinned: Record<string, unknown>;
  /** When helm's record of the umbrella was removed: the adoption is complete. */
  finishedAt?: string;
}

export const identity = (o: KubeObject): ObjectIdentity => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
});

/** An identity as the metadata objectPath and objectKey read. */
const asObject = (id: Omit<ObjectIdentity, 'uid'>): Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'> => ({ apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, ...(id.namespace ? { namespace: id.namespace } : {}) } });
/** The REST path of the object an identity names. */
export const identityPath = (id: Omit<ObjectIdentity, 'uid'>): string => objectPath(asObject(id));
/** The objectKey of the object an identity names (kind, namespace, name). */
export const identityKey = (id: Pick<ObjectIdentity, 'kind' | 'name' | 'namespace'>): string => objectKey({ kind: id.kind, metadata: { name: id.name, ...(id.namespace ? { namespace: id.namespace } : {}) } });

const path = (namespace: string, name?: string): string => `/api/v1/namespaces/${namespace}/secrets${name ? `/${name}` : ''}`;

export async function readRecord(kube: ClusterApi, release: string, namespace: string): Promise<InstallRecord | undefined> {
  const secret = await kube.getOptional<{ type?: string; data?: Record<string, string> }>(path(namespace, recordName(release)));
  if (!secret?.data?.['record.json']) return undefined;
  if (secret.type !== RECORD_TYPE) throw new ClusterError(`Secret ${namespace}/${recordName(release)} is not a dynamoctl install record (type ${secret.type})`, { hint: 'rename or remove it' });
  return JSON.parse(Buffer.from(secret.data['record.json'], 'base64').toString('utf8')) as InstallRecord;
}

/** Creates or replaces the record (server-side apply: one writer, dynamoctl). */
export async function writeRecord(kube: ClusterApi, record: InstallRecord, labels: LabelContext): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: RECORD_TYPE,
    metadata: { name: recordName(record.release), namespace: record.namespace, labels: ownerLabels(labels, 'record') },
    data: { 'record.json': Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8').toString('base64') },
  };
  await kube.request('PATCH', path(record.namespace, recordName(record.release)), {
    body: secret,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: 'dynamoctl', force: 'true' },
  });
}

/** Replaces the content of an existing record, its labels as they are (a merge patch of its data). */
export async function updateRecord(kube: ClusterApi, record: InstallRecord): Promise<void> {
  await kube.request('PATCH', path(record.namespace, recordName(record.release)), {
    body: { data: { 'record.json': Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8').toString('base64') } },
    contentType: 'application/merge-patch+json',
    query: { fieldManager: 'dynamoctl' },
  });
}

