/**
 * The planner: a pure function from what discovery found and what the values ask for to the actions that
 * get there. Object actions come from the local field diff (diff.ts) and from who owns each live object;
 * helm actions from the components table and the releases found. Nothing here reads the cluster.
 *
 * Ownership: dynamoctl writes only what it created. A live object another dynamoctl release owns is used
 * as it is when identical (cluster-scoped fixed names, such as the Kai queues), and is otherwise a
 * conflict naming that release: the chart names some objects without the release (dgdr-profiling-job,
 * webhook-server-cert, ...), so a second release in one namespace is refused, as helm refuses it. An
 * object nobody labelled as ours, or a field another field manager owns, is a conflict unless the user
 * asks to take it over (`--force-conflicts`).
 */
import { FIELD_MANAGER, HELM_RELEASE_ANNOTATIONS, isOtherOwner } from '../apply/apply.ts';
import { identity, identityKey, type InstallRecord } from '../apply/record.ts';
import { ADDON_KEYS, BASE_KEYS, COMPONENTS } from '../components/table.ts';
import { subchartValues } from '../components/values.ts';
import { compareVersions } from '../config/version.ts';
import type { ChartKey, SubchartKey, Values } from '../config/values-schema.ts';
import { objectKey, type KubeObject } from '../render/k8s-types.ts';
import { MANAGED_BY, RELEASE_NAMESPACE_LABEL } from '../render/labels.ts';
import { subchartRelease } from '../render/names.ts';
import { fieldChanges, ownedPaths, type FieldChange } from './diff.ts';
import type { Adopting, ClusterState, HelmAction, LiveObject, ObjectAction, Plan } from './state.ts';


export interface PlanOptions {
  values: Values;
  platformVersion: string;
  /** Take over objects and fields that others manage (server-side apply with force). */
  forceConflicts: boolean;
  /** The operator Deployment's name. */
  operatorDeployment: string;
  crdsNamespace: string;
  /** Taking over a helm release of the upstream chart (adopt). */
  adopting?: Adopting | undefined;
}

type Owner = { by: 'us' } | { by: 'dynamoctl'; release: string; namespace: string } | { by: 'helm'; release: string; namespace: string } | { by: 'other'; managers: string[] };

/** Who a live object belongs to, by its labels and annotations. */
export function ownerOf(live: LiveObject, release: string, namespace: string): Owner {
  const labels = live.metadata.labels ?? {};
  const annotations = live.metadata.annotations ?? {};
  if (labels['app.kubernetes.io/managed-by'] === MANAGED_BY) {
    const r = labels['app.kubernetes.io/instance'] ?? '?';
    const ns = labels[RELEASE_NAMESPACE_LABEL] ?? live.metadata.namespace ?? '?';
    return r === release && ns === namespace ? { by: 'us' } : { by: 'dynamoctl', release: r, namespace: ns };
  }
  if (annotations['meta.helm.sh/release-name']) return { by: 'helm', release: annotations['meta.helm.sh/release-name'], namespace: annotations['meta.helm.sh/release-namespace'] ?? '?' };
  return { by: 'other', managers: [...new Set((live.metadata.managedFields ?? []).map((m) => m.manager ?? '?'))] };
}

const describeId = (o: { kind: string; metadata: { name: string; namespace?: string } }): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Changed fields that another field manager owns: applying them without force is refused by the server. */
function contested(live: LiveObject, changes: readonly FieldChange[]): { manager: string; path: string }[] {
  const found: { manager: string; path: string }[] = [];
  for (const entry of live.metadata.managedFields ?? []) {
    if (entry.manager === FIELD_MANAGER && entry.operation === 'Apply') continue;
    const paths = ownedPaths(entry.fieldsV1, live);
    for (const c of changes) {
      // owned at, below (a map) or above (an atomic list such as args: the server records it whole) the change
      const related = (p: string): boolean => p === c.path || p.startsWith(`${c.path}.`) || p.startsWith(`${c.path}[`) || c.path.startsWith(`${p}.`) || c.path.startsWith(`${p}[`);
      if (c.to !== undefined && paths.some(related)) found.push({ manager: entry.manager ?? '?', path: c.path });
    }
  }
  return found;
}

/** The ownership labels aside (they name the release), is the live object what we would write? */
function identicalButOwner(object: KubeObject, live: LiveObject): boolean {
  const labels = { ...object.metadata.labels };
  for (const k of ['app.kubernetes.io/instance', RELEASE_NAMESPACE_LABEL]) delete labels[k];
  return fieldChanges({ ...object, metadata: { ...object.metadata, labels } }, { ...live, metadata: { ...live.metadata, managedFields: [] } }, FIELD_MANAGER).length === 0;
}

/** Bindings cannot change the role they name: the server refuses it, so a different roleRef means delete and create. */
function roleRefChange(object: KubeObject, live: LiveObject): string | undefined {
  if (object.kind !== 'RoleBinding' && object.kind !== 'ClusterRoleBinding') return undefined;
  const want = (object as { roleRef?: { kind?: string; name?: string } }).roleRef;
  const have = (live as { roleRef?: { kind?: string; name?: string } }).roleRef;
  return want && have && (want.kind !== have.kind || want.name !== have.name) ? `roleRef ${have.kind} ${have.name} -> ${want.kind} ${want.name} (the server does not change it in place)` : undefined;
}

/**
 * Whose object an adoption takes over, if it may: the adopted helm release's, one its hooks made, or one an
 * interrupted adoption already labelled ours that still carries helm's annotation or another writer's fields.
 */
function adoptable(object: KubeObject, live: LiveObject, owner: Owner, adopting: Adopting | undefined): string | undefined {
  if (!adopting) return undefined;
  const key = objectKey(object);
  const annotations = live.metadata.annotations ?? {};
  if (owner.by === 'us' && (annotations[HELM_RELEASE_ANNOTATIONS[0]] === adopting.release || (adopting.hookMade.includes(key) && (live.metadata.managedFields ?? []).some(isOtherOwner)))) {
    return `helm release ${adopting.release} (an earlier adoption was interrupted)`;
  }
  if (owner.by === 'helm' && owner.release === adopting.release && owner.namespace === adopting.namespace) return `helm release ${owner.release}`;
  if (owner.by === 'other' && adopting.hookMade.includes(key)) return `the chart's hooks (${owner.managers.join(', ') || 'no manager'})`;
  return undefined;
}

export function planObject(object: KubeObject, live: LiveObject | undefined, state: Pick<ClusterState, 'release' | 'namespace'> & { adopting?: Adopting | undefined }, force: boolean): ObjectAction {
  if (!live) return { action: 'create', object };
  const owner = ownerOf(live, state.release, state.namespace);
  const uid = live.metadata.uid ?? '';
  const resourceVersion = live.metadata.resourceVersion ?? '';
  const takeover = adoptable(object, live, owner, state.adopting);
  const replace = roleRefChange(object, live);
  if (replace && (owner.by === 'us' || takeover || (owner.by === 'other' && force))) return { action: 'replace', object, uid, resourceVersion, reason: replace };
  if (takeover) return { action: 'update', object, changes: fieldChanges(object, live, FIELD_MANAGER), uid, resourceVersion, force: true, takeover };
  if (owner.by === 'dynamoctl' || owner.by === 'helm') {
    const who = `${owner.by === 'helm' ? 'helm release' : 'dynamoctl release'} ${owner.release} in ${owner.namespace}`;
    if (owner.by === 'dynamoctl' && !object.metadata.namespace && identicalButOwner(object, live)) return { action: 'shared', object, owner: who };
    // never taken, not even with force: removing that release would remove it from under this one
    return { action: 'conflict', object, reason: `${describeId(object)} belongs to ${who}` };
  }
  const changes = fieldChanges(object, live, FIELD_MANAGER);
  if (owner.by === 'other' && !force) {
    return { action: 'conflict', object, reason: `${describeId(object)} exists and was not created by dynamoctl (managed by ${owner.managers.join(', ') || 'nobody'})` };
  }
  if (!changes.length) return { action: 'unchanged', object, uid, resourceVersion };
  const fights = owner.by === 'us' ? contested(live, changes) : [];
  if (fights.length && !force) {
    const managers = [...new Set(fights.map((f) => f.manager))];
    return { action: 'conflict', object, reason: `${describeId(object)}: ${fights.map((f) => f.path).join(', ')} ${fights.length === 1 ? 'is' : 'are'} managed by ${managers.join(', ')}` };
  }
  return { action: 'update', object, changes, uid, resourceVersion, force: force && (owner.by === 'other' || fights.length > 0) };
}

/** Owned objects that are no longer rendered: pruned only when the record lists them and dynamoctl's field manager wrote them. */
function prunes(state: ClusterState): ObjectAction[] {
  const rendered = new Set(state.desired.map(objectKey));
  const listed = new Set((state.record?.inventory ?? []).map((i) => identityKey(i)));
  const out: ObjectAction[] = [];
  for (const [key, { apiVersion, kind, object }] of state.owned) {
    if (rendered.has(key) || !listed.has(key)) continue;
    if (!(object.metadata.managedFields ?? []).some((m) => m.manager === FIELD_MANAGER)) continue;
    out.push({ action: 'prune', id: identity({ apiVersion, kind, metadata: object.metadata }), uid: object.metadata.uid ?? '', resourceVersion: object.metadata.resourceVersion ?? '' });
  }
  return out;
}

function helmActions(state: ClusterState, o: PlanOptions): HelmAction[] {
  const { values } = o;
  const ref = (component: ChartKey, release: string, namespace: string) => ({ component, release, namespace, chart: values.dynamoctl.charts[component].name, version: values.dynamoctl.charts[component].version });
  const actions: HelmAction[] = [];
  if (state.scope === 'cluster') {
    const found = state.helm['dynamo-crds'];
    const base = ref('dynamo-crds', 'dynamo-crds', o.crdsNamespace);
    if (!found?.state && state.crds.length && state.crds.every((c) => c.present && c.established)) actions.push({ ...base, action: 'reuse', reason: 'the CRDs are installed and established' });
    else if (found?.state) actions.push({ ...base, action: 'upgrade', source: values.dynamoctl.charts['dynamo-crds'], values: {}, takeOwnership: state.crdOwners.gone.length > 0, takingOver: state.crdOwners.gone, revision: found.state.revision });
    else actions.push({ ...base, action: 'install', source: values.dynamoctl.charts['dynamo-crds'], values: {}, takeOwnership: state.crdOwners.gone.length > 0, takingOver: state.crdOwners.gone });
  }
  const chart = (key: SubchartKey): HelmAction | undefined => {
    const found = state.helm[key];
    const base = ref(key, subchartRelease(state.release, key), state.namespace);
    if (!values[key].enabled) return undefined;
    const elsewhere = state.operatorsElsewhere[key];
    if (!found?.state && elsewhere) return { ...base, action: 'reuse', reason: `its operator already runs in ${elsewhere.namespace}` };
    const handed = o.adopting?.handovers[key];
    const handover = handed?.length ? { handover: { from: o.adopting!.release, objects: handed } } : {};
    return found?.state
      ? { ...base, action: 'upgrade', source: values.dynamoctl.charts[key], values: subchartValues(values, key), takeOwnership: false, takingOver: [], revision: found.state.revision, ...handover }
      : { ...base, action: 'install', source: values.dynamoctl.charts[key], values: subchartValues(values, key), takeOwnership: false, takingOver: [], ...handover };
  };
  actions.push(...[...BASE_KEYS, ...ADDON_KEYS].map(chart).filter((a) => a !== undefined));
  // what the record installed and the values no longer enable: removed, after the operator stops using it
  for (const r of state.record?.helmReleases ?? []) {
    const key = r.component as SubchartKey;
    if (r.reused || !(key in COMPONENTS) || values[key].enabled) continue;
    const found = state.helm[key];
    if (found?.state) actions.push({ ...ref(key, r.release, r.namespace), action: 'remove', revision: found.state.revision });
  }
  return actions;
}

/** Refuses a downgrade (semver: 0.9.0-rc1 < 0.9.0); a record whose version is not one is an error. */
export function versionVerdict(record: Pick<InstallRecord, 'platformVersion'> | undefined, platformVersion: string): { ok: true } | { ok: false; reason: 'older' | 'unreadable' } {
  if (!record) return { ok: true };
  try {
    return compareVersions(record.platformVersion, platformVersion) > 0 ? { ok: false, reason: 'older' } : { ok: true };
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
}

export function planInstall(state: ClusterState, o: PlanOptions): Plan {
  return {
    release: state.release,
    namespace: state.namespace,
    scope: state.scope,
    targetNamespace: state.targetNamespace,
    platformVersion: o.platformVersion,
    upgrade: state.record !== undefined,
    createNamespace: !state.namespaceExists,
    objects: [...state.desired.map((object) => planObject(object, state.live.get(objectKey(object)), { ...state, adopting: o.adopting }, o.forceConflicts)), ...prunes(state), ...(o.adopting?.removals ?? [])],
    helm: helmActions(state, o),
    rollout: { kind: 'Deployment', name: o.operatorDeployment, namespace: state.namespace },
    ...(o.adopting ? { adopting: o.adopting } : {}),
  };
}
