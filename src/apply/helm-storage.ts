/**
 * helm's record of a release, as its storage driver keeps it in the release namespace: Secrets (the
 * default driver) or ConfigMaps labelled owner=helm,name=<release>, one per revision. Deleting them makes
 * helm forget the release while every object it installed stays: how adopt retires the umbrella release,
 * and how an adoption interrupted during a handover install starts that install again without helm
 * uninstalling (deleting) the objects it was taking over.
 */
import type { ClusterApi } from '../cluster/client.ts';
import { ClusterError } from '../errors.ts';

export async function forgetHelmRelease(kube: ClusterApi, release: string, namespace: string): Promise<number> {
  let forgotten = 0;
  for (const resource of ['secrets', 'configmaps']) {
    const path = `/api/v1/namespaces/${namespace}/${resource}`;
    const items = await kube.list<{ metadata: { name: string; uid?: string; labels?: Record<string, string> } }>(path, { labelSelector: `owner=helm,name=${release}`, metadataOnly: true });
    // oldest revision first: stopped halfway, the deployed (newest) revision is still what helm shows
    const revisions = items.filter((i) => i.metadata.name.startsWith(`sh.helm.release.v1.${release}.v`)).sort((a, b) => Number(a.metadata.labels?.version ?? 0) - Number(b.metadata.labels?.version ?? 0));
    for (const item of revisions) {
      await kube.request('DELETE', `${path}/${item.metadata.name}`, { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: item.metadata.uid } } }).catch((error: unknown) => {
        if (!(error instanceof ClusterError && error.status === 404)) throw error;
      });
      forgotten++;
    }
  }
  return forgotten;
}
