/** The data the conflict matrix works on. Discovery (cluster/) fills it; decisions (here) never do I/O. */

export type Scope = 'cluster' | 'namespace';
export type InstalledBy = 'dynamoctl' | 'helm-chart';

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string | undefined;
}

/** A Dynamo operator found in the cluster, whoever installed it. */
export interface ExistingOperator {
  release: string;
  /** Where it is installed (its ServiceAccount's namespace), when that could be found. */
  namespace: string | undefined;
  scope: Scope;
  /** The namespace a namespace-scoped operator manages. */
  targetNamespace: string | undefined;
  installedBy: InstalledBy;
  /** An operator Deployment exists. RBAC without one is a leftover: reported, never blocking. */
  running: boolean;
  /** What it was recognised by (RBAC, Deployment). */
  objects: ObjectRef[];
}

/** The install being judged. */
export interface PlannedOperator {
  release: string;
  namespace: string;
  scope: Scope;
  /** For namespace scope: the managed namespace (defaults to `namespace`). */
  targetNamespace: string;
}
