/**
 * What every check can read: the resolved values, the planned operator, the rendered objects, and the
 * cluster facts, each fetched once on first use (memoised), so checks share requests without sharing
 * mutable state.
 */
import { Kube, type KubeTarget } from '../cluster/client.ts';
import type { PlannedOperator } from '../conflicts/types.ts';
import type { Values } from '../config/values-schema.ts';
import type { HelmOptions } from '../helm/helm.ts';
import type { KubeObject } from '../render/k8s-types.ts';

export interface CheckContext {
  values: Values;
  planned: PlannedOperator;
  /** The operator's objects as install would apply them (Secret data not generated). */
  objects: KubeObject[];
  helm: HelmOptions;
  /** Secrets the install itself will create first (the wizard's pull secret): not expected to exist yet. */
  pendingSecrets: readonly string[];
  /** Those secrets themselves (the image check reads the registry credentials they will hold). */
  userSecrets: readonly KubeObject[];
  /** The connection, loaded on first use (a bad kubeconfig fails the first check that needs it). */
  kube(): Kube;
  memo<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function createCheckContext(input: { values: Values; objects: KubeObject[]; target: KubeTarget; helm: HelmOptions; userSecrets?: readonly KubeObject[] }): CheckContext {
  const cache = new Map<string, Promise<unknown>>();
  let kube: Kube | undefined;
  const op = input.values['dynamo-operator'];
  return {
    values: input.values,
    objects: input.objects,
    helm: input.helm,
    pendingSecrets: (input.userSecrets ?? []).map((s) => s.metadata.name),
    userSecrets: input.userSecrets ?? [],
    planned: {
      release: input.values.dynamoctl.release,
      namespace: input.values.dynamoctl.namespace,
      scope: op.namespaceRestriction.enabled ? 'namespace' : 'cluster',
      targetNamespace: op.namespaceRestriction.targetNamespace || input.values.dynamoctl.namespace,
    },
    kube: () => (kube ??= Kube.load(input.target)),
    memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
      if (!cache.has(key)) cache.set(key, fn());
      return cache.get(key) as Promise<T>;
    },
  };
}
