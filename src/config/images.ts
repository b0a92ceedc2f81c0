/**
 * Image references and the --registry rewrite. One rule for every image, the operator's and the
 * subcharts': drop the source registry host and put the mirror in front, keeping the repository path.
 *   nvcr.io/nvidia/ai-dynamo/kubernetes-operator → <mirror>/nvidia/ai-dynamo/kubernetes-operator
 *   bitnamilegacy/etcd (Docker Hub)              → <mirror>/bitnamilegacy/etcd
 *   nats (Docker Hub official image)             → <mirror>/nats
 * This is the layout `dynamoctl bundle` lists for mirroring.
 */

/** The registry host of a reference, or '' for Docker Hub (a first part without '.' or ':' and not localhost). */
export function registryHost(repository: string): string {
  const first = repository.split('/')[0] ?? '';
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : '';
}

/** The repository path without its registry host. */
export function repositoryPath(repository: string): string {
  const host = registryHost(repository);
  return host ? repository.slice(host.length + 1) : repository;
}

export function rewriteRegistry(repository: string, registry: string): string {
  return registry ? `${registry.replace(/\/+$/, '')}/${repositoryPath(repository)}` : repository;
}
