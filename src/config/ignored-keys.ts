/**
 * Keys of the upstream `dynamo-platform` chart (0.8.1) that the values schema accepts, so the chart's own
 * values files work unchanged, but that dynamoctl does not act on. The one list of them: when the renderer
 * starts reading one of these keys, delete its entry here. Setting one (in a -f file or with --set) earns
 * one warning line naming the keys, never their values. An entry covers the key and everything under it.
 */

import { getPath, isTree, type Tree } from './tree.ts';

export interface IgnoredKey {
  /** Dotted key path from the top of the values tree. */
  key: string;
  /** Why dynamoctl ignores it: a few words, no commas (the warning joins entries with ", "). */
  reason: string;
}

export const IGNORED_UPSTREAM_KEYS: readonly IgnoredKey[] = [
  { key: 'dynamo-operator.controllerManager.manager.image.pullPolicy', reason: 'in the chart values but read by none of its templates' },
  { key: 'dynamo-operator.webhook.certGenerator', reason: 'dynamoctl generates the webhook certificate itself and runs no certificate Jobs' },
  { key: 'dynamo-operator.dynamo.mpiRun.sshKeygen.keygenImage', reason: 'dynamoctl generates the MPI SSH key itself and runs no keygen Job' },
  { key: 'dynamo-operator.dynamo.mpiRun.sshKeygen.kubectlImage', reason: 'dynamoctl generates the MPI SSH key itself and runs no keygen Job' },
  { key: 'dynamo-operator.dynamo.mpiRun.sshKeygen.tolerations', reason: 'dynamoctl generates the MPI SSH key itself and runs no keygen Job' },
  { key: 'dynamo-operator.dynamo.mpiRun.sshKeygen.affinity', reason: 'dynamoctl generates the MPI SSH key itself and runs no keygen Job' },
  { key: 'dynamo-operator.serviceAccount', reason: 'only a chart helper that no template uses reads it' },
  { key: 'dynamo-api-store', reason: 'only the chart NOTES.txt reads it; 0.8.1 has no such subchart' },
];


/** Set means: not null (null is "unset", as in helm), and a map counts only if it is empty or sets something. */
function isSet(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (!isTree(value)) return true;
  const children = Object.values(value);
  return children.length === 0 || children.some(isSet);
}

/** The ignored keys that any of `trees` (the user's layers, not the defaults) sets, in table order. */
export function ignoredKeysSet(trees: readonly Tree[], table: readonly IgnoredKey[] = IGNORED_UPSTREAM_KEYS): IgnoredKey[] {
  return table.filter((entry) => trees.some((tree) => isSet(getPath(tree, entry.key.split('.')))));
}

/** The one warning line (without the "warning: " prefix), or undefined when nothing ignored was set. */
export function ignoredKeysWarning(keys: readonly IgnoredKey[]): string | undefined {
  if (!keys.length) return undefined;
  const list = keys.map((k) => `${k.key} (${k.reason})`).join(', ');
  return `dynamoctl ignores ${keys.length} ${keys.length === 1 ? 'key' : 'keys'} of the upstream chart: ${list}`;
}
