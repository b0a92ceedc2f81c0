/** The images a set of rendered manifests would pull: every container of every pod template, hooks included. */
import { parseAllDocuments } from 'yaml';
import { getPath as at } from '../config/tree.ts';

type PodSpec = { containers?: { image?: string }[]; initContainers?: { image?: string }[]; ephemeralContainers?: { image?: string }[] };


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

export function imagesOf(manifests: string): string[] {
  const images = new Set<string>();
  for (const doc of parseAllDocuments(manifests)) {
    const o = doc.toJS() as { kind?: string } | null;
    const path = o?.kind ? POD_SPEC[o.kind] : undefined;
    const spec = path ? (at(o, path) as PodSpec | undefined) : undefined;
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])]) if (c.image) images.add(c.image);
  }
  return [...images].sort();
}
