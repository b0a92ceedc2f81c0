/**
 * The wizard's pure core: what it asks, what it offers, what an answer is allowed to be, and how answers
 * become a values file and a command line. No prompts and no cluster here (ui/wizard.ts asks,
 * cli/commands/wizard.ts talks to the cluster), so every rule is a plain function with plain tests.
 */
import { getPath as get } from '../config/tree.ts';
import { COMPONENTS, storageClassPath } from '../components/table.ts';
import { detectConflicts, describeOperator } from '../conflicts/detect.ts';
import type { ExistingOperator, PlannedOperator, Scope } from '../conflicts/types.ts';
import { registryHost } from '../config/images.ts';
import { mergeValues } from '../config/resolve.ts';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../config/values-schema.ts';
import { parseDuration } from '../config/duration.ts';
import type { KubeObject } from '../render/k8s-types.ts';
import { dockerConfigJson } from '../render/operator.ts';

type Tree = Record<string, unknown>;

export type PullSecretAnswer =
  | { mode: 'none' }
  | { mode: 'existing'; name: string }
  /** The password lives only in memory: it becomes a Secret in the cluster, never a value. */
  | { mode: 'create'; name: string; server: string; username: string; password: string };

/** Persistence for the NATS and etcd volumes: a StorageClass name, the cluster default, or none. */
export type StorageAnswer = { mode: 'class'; name: string } | { mode: 'default' } | { mode: 'off' };

export interface Answers {
  context: string;
  scope: Scope;
  namespace: string;
  targetNamespace: string;
  release: string;
  nats: boolean;
  etcd: boolean;
  grove: boolean;
  kai: boolean;
  registry: string;
  pullSecret: PullSecretAnswer;
  storage: StorageAnswer;
  operatorImage: string;
  operatorTag: string;
  namespaceOnly: boolean;
  helmTimeout: string;
  rolloutTimeout: string;
}

/** What the wizard learns from the cluster before asking (cluster/ fetches it). */
export interface ClusterFacts {
  operators: ExistingOperator[];
  /** StorageClass names, and which one is the default; undefined when the user may not list them. */
  storageClasses: { name: string; isDefault: boolean }[] | undefined;
  groveInstalled: boolean;
  kaiInstalled: boolean;
  /** Lists the user could not read: conflict answers are then incomplete, and the wizard says so. */
  forbidden: string[];
}

const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);

/** Where the answers' storage class lands (components table), to read it back. */
const ETCD_CLASS = storageClassPath('etcd') ?? [];
const ETCD_PERSISTENCE = ['etcd', 'persistence', 'enabled'];
const NATS_CLASS = storageClassPath('nats') ?? [];
const NATS_PERSISTENCE = ['nats', 'config', 'jetstream', 'fileStore', 'pvc', 'enabled'];

/**
 * The answers a values file implies (an earlier wizard's, or any), the defaults filling what it leaves
 * out, so re-running the wizard pre-fills every question. The operator image is an answer only when the
 * file sets it: otherwise the wizard would pin today's default repository into the file.
 */
export function answersFromValues(file: Tree, defaults: Tree, context: string): Answers {
  const at = (path: readonly string[]): unknown => get(file, path) ?? get(defaults, path);
  const op = ['dynamo-operator'];
  const namespace = str(at(['dynamoctl', 'namespace']), 'dynamo-system');
  const pullSecretName = (at([...op, 'imagePullSecrets']) as { name?: unknown }[] | undefined)?.find((s) => typeof s?.name === 'string')?.name as string | undefined;
  const storageClass = str(at(ETCD_CLASS), '') || str(at(NATS_CLASS), '');
  const persistenceOff = at(ETCD_PERSISTENCE) === false && at(NATS_PERSISTENCE) === false;
  return {
    context,
    scope: at([...op, 'namespaceRestriction', 'enabled']) === true ? 'namespace' : 'cluster',
    namespace,
    targetNamespace: str(at([...op, 'namespaceRestriction', 'targetNamespace']), '') || namespace,
    release: str(at(['dynamoctl', 'release']), 'dynamo-platform'),
    nats: at(['nats', 'enabled']) !== false,
    etcd: at(['etcd', 'enabled']) !== false,
    grove: at(['grove', 'enabled']) === true,
    kai: at(['kai-scheduler', 'enabled']) === true,
    registry: str(at(['dynamoctl', 'registry']), ''),
    pullSecret: pullSecretName ? { mode: 'existing', name: pullSecretName } : { mode: 'none' },
    storage: persistenceOff ? { mode: 'off' } : storageClass ? { mode: 'class', name: storageClass } : { mode: 'default' },
    operatorImage: str(get(file, [...op, 'controllerManager', 'manager', 'image', 'repository']), ''),
    operatorTag: str(get(file, [...op, 'controllerManager', 'manager', 'image', 'tag']), ''),
    namespaceOnly: at(['dynamoctl', 'namespaceOnly']) === true,
    helmTimeout: str(at(['dynamoctl', 'timeouts', 'helm']), '10m'),
    rolloutTimeout: str(at(['dynamoctl', 'timeouts', 'rollout']), '5m'),
  };
}

/**
 * The values the answers set, laid over `base` (the values file the wizard started from, if any), so
 * settings the wizard does not ask about survive a re-run. Credentials are never part of it.
 */
export function valuesFromAnswers(a: Answers, base: Tree = {}): Tree {
  const pullSecrets = a.pullSecret.mode === 'none' ? [] : [{ name: a.pullSecret.name }];
  const persistence = a.storage.mode !== 'off';
  const storageClass = a.storage.mode === 'class' ? a.storage.name : undefined;
  const image = { ...(a.operatorImage ? { repository: a.operatorImage } : {}), ...(a.operatorTag ? { tag: a.operatorTag } : {}) };
  const answered: Tree = {
    dynamoctl: {
      release: a.release,
      namespace: a.namespace,
      registry: a.registry,
      namespaceOnly: a.scope === 'namespace' && a.namespaceOnly,
      timeouts: { helm: a.helmTimeout, rollout: a.rolloutTimeout },
    },
    'dynamo-operator': {
      namespaceRestriction: { enabled: a.scope === 'namespace', targetNamespace: a.scope === 'namespace' ? a.targetNamespace : '' },
      imagePullSecrets: pullSecrets,
      controllerManager: { manager: { image } },
    },
    // the subcharts get the operator's pull secrets from dynamoctl (components table); the storage class
    // goes where each chart reads it
    nats: mergeValues({ enabled: a.nats, config: { jetstream: { fileStore: { pvc: { enabled: persistence } } } } }, storageClass ? COMPONENTS.nats.storageClassValues?.(storageClass) ?? {} : {}),
    etcd: mergeValues({ enabled: a.etcd, persistence: { enabled: persistence } }, storageClass ? COMPONENTS.etcd.storageClassValues?.(storageClass) ?? {} : {}),
    grove: { enabled: a.grove },
    'kai-scheduler': { enabled: a.kai },
  };
  // lists replace rather than merge (helm's rule); keys the answers leave unset must go, not linger from `base`
  const out = structuredClone(mergeValues(base, answered));
  // unset a key, then the maps it leaves empty on the way up (only along the wizard's own paths)
  const unset = (path: readonly string[]): void => {
    for (let n = path.length; n > 0; n--) {
      const parent = get(out, path.slice(0, n - 1));
      if (!parent || typeof parent !== 'object') return;
      const key = path[n - 1]!;
      const child = (parent as Tree)[key];
      if (n < path.length && !(child && typeof child === 'object' && !Array.isArray(child) && !Object.keys(child).length)) return;
      delete (parent as Tree)[key];
    }
  };
  if (!storageClass) [ETCD_CLASS, NATS_CLASS].forEach(unset);
  // earlier wizards wrote the subcharts' pull secrets themselves (dynamoctl passes the operator's on now):
  // with no pull secret chosen they go too
  if (!pullSecrets.length) [['nats', 'global', 'image', 'pullSecretNames'], ['etcd', 'global', 'imagePullSecrets']].forEach(unset);
  if (!a.operatorImage) unset(['dynamo-operator', 'controllerManager', 'manager', 'image', 'repository']);
  if (!a.operatorTag) unset(['dynamo-operator', 'controllerManager', 'manager', 'image', 'tag']);
  return out;
}

// ---- validation: each returns true or the message the prompt shows under the answer ----

export type Validation = true | string;

export function validateNamespace(value: string): Validation {
  if (!value) return 'a namespace is required';
  if (value.length > 63) return `at most 63 characters (this is ${value.length})`;
  if (!DNS1123_LABEL.test(value)) return 'lower-case letters, digits and "-", starting and ending with a letter or digit';
  return true;
}

/** Helm limits release names to 53 characters; dynamoctl derives object names from it. */
export function validateRelease(value: string): Validation {
  if (!value) return 'a release name is required';
  if (value.length > 53) return `at most 53 characters (this is ${value.length})`;
  if (!DNS1123_LABEL.test(value)) return 'lower-case letters, digits and "-", starting and ending with a letter or digit';
  return true;
}

export function validateSecretName(value: string): Validation {
  if (!value) return 'a Secret name is required';
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) return 'a valid object name: lower-case letters, digits, "-" and "."';
  return true;
}

/** A registry mirror: host[:port][/path], no scheme. */
export function validateRegistry(value: string): Validation {
  if (!value) return true;
  if (/^[a-z]+:\/\//i.test(value)) return 'leave out the scheme: e.g. registry.example.com/mirror';
  if (!/^[a-zA-Z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*\/?$/.test(value)) return 'a registry host with an optional port and path, e.g. registry.example.com:5000/mirror';
  return true;
}

export function validateDuration(value: string): Validation {
  return parseDuration(value) ? true : 'a duration such as 90s, 10m or 1h';
}

/** An image repository without tag (free text but one word). */
export function validateImage(value: string): Validation {
  if (!value) return true;
  if (/\s/.test(value)) return 'no spaces';
  // a colon after the last "/" is a tag (one before it is a registry port)
  if (value.slice(value.lastIndexOf('/') + 1).includes(':')) return 'the repository only; the tag is the next question';
  return true;
}

// ---- choices the live conflict matrix allows ----

export interface ScopeChoice {
  value: Scope;
  name: string;
  description: string;
  /** Why the matrix blocks it, whatever namespace is picked next. */
  disabled?: string;
}

/**
 * Both scopes, each disabled when every install of that scope would be blocked by a running operator
 * (other than `self`, the release being upgraded). Same-namespace clashes of two namespace-restricted
 * operators depend on the namespace, so they are judged when it is typed (see judgeInstall).
 */
export function scopeChoices(operators: readonly ExistingOperator[], self: { release: string; namespace: string }): ScopeChoice[] {
  const others = operators.filter((o) => o.running && !(o.release === self.release && o.namespace === self.namespace));
  const clusterWide = others.find((o) => o.scope === 'cluster');
  const restricted = others.find((o) => o.scope === 'namespace');
  const blocked = (planned: Scope): string | undefined => {
    const existing = clusterWide ?? (planned === 'cluster' ? restricted : undefined);
    if (!existing) return undefined;
    // `existing` is never `self`, so any namespace judges the same way here
    const verdict = detectConflicts({ ...self, scope: planned, targetNamespace: self.namespace }, [existing]);
    return verdict.verdict === 'blocked' ? `blocked: ${verdict.rule.reason}: ${describeOperator(existing)}` : undefined;
  };
  const choices: ScopeChoice[] = [
    { value: 'cluster', name: 'Cluster-wide', description: 'one operator manages Dynamo resources in every namespace (needs cluster-admin rights; installs the CRDs)' },
    { value: 'namespace', name: 'Namespace-restricted', description: 'an operator that manages one namespace only (for shared clusters; the CRDs must already exist or be installable)' },
  ];
  return choices.map((c) => {
    const reason = blocked(c.value);
    return reason ? { ...c, disabled: reason } : c;
  });
}

/** The full verdict once scope, namespaces and release are known: true, or the reason it is blocked. */
export function judgeInstall(planned: PlannedOperator, operators: readonly ExistingOperator[]): Validation {
  const verdict = detectConflicts(planned, operators);
  if (verdict.verdict === 'allowed') return true;
  const first = verdict.blockers[0]!;
  return `${verdict.summary}; ${first.resolutions[0] ?? ''}`.replace(/; $/, '');
}

/** The StorageClass choices: every class (the default first and marked), and turning persistence off. */
export function storageChoices(classes: ClusterFacts['storageClasses']): { value: StorageAnswer; name: string; description: string }[] {
  const off = { value: { mode: 'off' } as StorageAnswer, name: 'No persistence', description: 'NATS and etcd keep their data in the pod: lost when the pod restarts (tests and demos only)' };
  if (!classes) return [{ value: { mode: 'default' }, name: 'The cluster default', description: 'you may not list StorageClasses; the check reports whether a default exists' }, off];
  const sorted = [...classes].sort((x, y) => Number(y.isDefault) - Number(x.isDefault) || x.name.localeCompare(y.name));
  return [
    ...sorted.map((c) => ({
      value: c.isDefault ? ({ mode: 'default' } as StorageAnswer) : ({ mode: 'class', name: c.name } as StorageAnswer),
      name: c.isDefault ? `${c.name} (the cluster default)` : c.name,
      description: c.isDefault ? 'volumes use the default StorageClass; the values file names none, so it follows the cluster' : `volumes use StorageClass ${c.name}`,
    })),
    off,
  ];
}

/** The registry a pull secret should hold credentials for: the mirror's host, else the operator image's. */
export function pullSecretServer(a: Pick<Answers, 'registry' | 'operatorImage'>): string {
  if (a.registry) return registryHost(`${a.registry.replace(/\/+$/, '')}/x`) || a.registry.split('/')[0]!;
  return registryHost(a.operatorImage || 'nvcr.io/nvidia/ai-dynamo/kubernetes-operator') || 'docker.io';
}

// ---- the reproducible result ----

/** POSIX shell quoting for the printed command line (names are validated; paths and contexts may not be). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The non-interactive command that installs exactly what the wizard was told. */
export function installCommand(file: string, a: Pick<Answers, 'context'>, opts: { kubeconfig?: string | undefined; skipChecks?: readonly { id: string; reason: string }[] } = {}): string {
  const words = ['dynamoctl', 'install', '-f', file, ...(opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig] : []), '--context', a.context];
  for (const s of opts.skipChecks ?? []) words.push('--skip-check', `${s.id}=${s.reason}`);
  words.push('--yes');
  return words.map(shellQuote).join(' ');
}

/** The kubectl command that creates the pull secret elsewhere (the password is left for the user to fill in). */
export function pullSecretCommand(a: Answers): string | undefined {
  if (a.pullSecret.mode !== 'create') return undefined;
  const { name, server, username } = a.pullSecret;
  return ['kubectl', 'create', 'secret', 'docker-registry', name, '-n', a.namespace, `--docker-server=${server}`, `--docker-username=${username}`]
    .map(shellQuote)
    .concat(["--docker-password='<password>'"])
    .join(' ');
}

/** The header of the written values file: where it came from and how to use it (comments only). */
export function valuesFileHeader(command: string, date: Date): string {
  // control characters would end the comment line: the command is built from validated names, but be sure
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const safe = command.replace(/[\u0000-\u001f\u007f]/g, '');
  return [`# Dynamo platform values, written by dynamoctl wizard on ${date.toISOString().slice(0, 10)}.`, '# Install (or upgrade) with:', `#   ${safe}`, '# Edit with: dynamoctl wizard -f <this file>', ''].join('\n');
}

/**
 * The pull secret the wizard creates when the user installs from it: a plain docker-registry Secret,
 * deliberately without the install's ownership labels, so re-running the printed command (which does not
 * know the password) never prunes it.
 */
export function pullSecretObject(a: Answers): KubeObject | undefined {
  if (a.pullSecret.mode !== 'create') return undefined;
  const { name, server, username, password } = a.pullSecret;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: a.namespace, labels: { 'app.kubernetes.io/created-by': 'dynamoctl-wizard' } },
    type: 'kubernetes.io/dockerconfigjson',
    stringData: { '.dockerconfigjson': dockerConfigJson(server, username, password) },
  };
}
