/**
 * The operator-conflict matrix, as data (from the seed README). One row per (existing, new) pair; the
 * decision function picks the rows that apply and the most severe wins. Whether an existing operator is
 * "the same install" (an upgrade) is decided before the rows, by release and namespace.
 */
import type { Scope } from './types.ts';

export type RuleId = 'none-cluster' | 'none-namespace' | 'cluster-cluster' | 'cluster-namespace' | 'namespace-cluster' | 'namespace-namespace-other' | 'namespace-namespace-same';

export interface MatrixRule {
  id: RuleId;
  existing: Scope | 'none';
  planned: Scope;
  /** For namespace→namespace rows: does the existing operator manage the planned target namespace? */
  sameTarget?: boolean;
  result: 'allowed' | 'blocked';
  /** The row's reason, as the seed states it. */
  reason: string;
}

export const MATRIX: readonly MatrixRule[] = [
  { id: 'none-cluster', existing: 'none', planned: 'cluster', result: 'allowed', reason: 'no Dynamo operator is installed' },
  { id: 'none-namespace', existing: 'none', planned: 'namespace', result: 'allowed', reason: 'no Dynamo operator is installed' },
  { id: 'cluster-cluster', existing: 'cluster', planned: 'cluster', result: 'blocked', reason: 'multiple cluster managers: two cluster-wide operators would reconcile the same resources' },
  { id: 'cluster-namespace', existing: 'cluster', planned: 'namespace', result: 'blocked', reason: 'the cluster-wide operator already manages the target namespace' },
  { id: 'namespace-cluster', existing: 'namespace', planned: 'cluster', result: 'blocked', reason: 'a cluster-wide operator would conflict with the existing namespace-restricted operators' },
  { id: 'namespace-namespace-other', existing: 'namespace', planned: 'namespace', sameTarget: false, result: 'allowed', reason: 'namespace-restricted operators of different namespaces do not overlap' },
  { id: 'namespace-namespace-same', existing: 'namespace', planned: 'namespace', sameTarget: true, result: 'blocked', reason: 'two namespace-restricted operators would manage the same namespace' },
];
