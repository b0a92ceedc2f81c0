/** The images a set of rendered manifests would pull: every container of every pod template, hooks included. */
import { parseAllDocuments } from 'yaml';
import { getPath as at } from '../config/tree.ts';

type PodSpec = {
  containers?: { image?: string }[];
  initContainers?: { image?: string }[];
  ephemeralContainers?: { image?: string }[];
  imagePullSecrets?: { name?: string }[];
  serviceAccountName?: string;
};
type Obj = { kind?: string; metadata?: { name?: string }; imagePullSecrets?: { name?: string }[] } | null;

/** Where each workload kind keeps its pod spec. */
const POD_SPEC: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** An image and the pull secrets the kubelet gets for it (from every pod that names it). */
export interface ImagePull {
  image: string;
  pullSecrets: string[];
}

/**
 * Every image the objects' pod templates name, with their pods' pull secrets: the pod's own and those of
 * its ServiceAccount when that is among the objects (the admission plugin copies them into the pod).
 */
export function imagePullsOf(objects: readonly unknown[]): ImagePull[] {
  const names = (list: { name?: string }[] | undefined): string[] => (list ?? []).flatMap((s) => (s.name ? [s.name] : []));
  const accounts = new Map((objects as Obj[]).filter((o) => o?.kind === 'ServiceAccount').map((o) => [o!.metadata?.name ?? '', names(o!.imagePullSecrets)]));
  const pulls = new Map<string, Set<string>>();
  for (const o of objects as Obj[]) {
    const path = o?.kind ? POD_SPEC[o.kind] : undefined;
    const spec = path ? (at(o, path) as PodSpec | undefined) : undefined;
    if (!spec) continue;
    const secrets = [...names(spec.imagePullSecrets), ...(accounts.get(spec.serviceAccountName ?? 'default') ?? [])];
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
      if (!c.image) continue;
      const known = pulls.get(c.image) ?? new Set<string>();
      secrets.forEach((s) => known.add(s));
      pulls.set(c.image, known);
    }
  }
  return [...pulls].map(([image, secrets]) => ({ image, pullSecrets: [...secrets].sort() })).sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
}

export const manifestObjects = (manifests: string): unknown[] => parseAllDocuments(manifests).map((doc) => doc.toJS() as unknown);

export function imagesOf(manifests: string): string[] {
  return imagePullsOf(manifestObjects(manifests)).map((p) => p.image);
}
