/**
 * Image references as a container runtime reads them (the distribution reference grammar, normalised the
 * way Docker and containerd normalise it): which registry to ask, which repository, which tag or digest.
 *   nats:2.10                    → registry-1.docker.io  library/nats       2.10
 *   bitnami/etcd                 → registry-1.docker.io  bitnami/etcd       latest
 *   nvcr.io/nvidia/x@sha256:…    → nvcr.io               nvidia/x           sha256:…
 */
import { registryHost } from '../config/images.ts';

export interface ImageReference {
  /** As written (what messages show). */
  image: string;
  /** The registry as pull secrets name it: "docker.io" for Docker Hub, else the host[:port] written. */
  registry: string;
  /** Where the distribution API answers: Docker Hub's API lives on registry-1.docker.io. */
  apiHost: string;
  /** The repository path inside the registry ("library/nats" for a Docker Hub official image). */
  repository: string;
  /** The tag or digest a pull asks for; a digest wins over a tag, as in a pull. */
  reference: string;
  /** registry/repository: the name the kubelet matches pull-secret entries against. */
  name: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

// one path component: lower-case alphanumerics joined by '.', '_', '__' or runs of '-'
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

/** Parses an image reference; a string that is not one yields the reason (the kubelet would refuse it too). */
export function parseImageReference(image: string): ImageReference | { invalid: string } {
  const at = image.indexOf('@');
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const named = at === -1 ? image : image.slice(0, at);
  // a tag follows the last ':' that comes after the last '/' (a ':' before it belongs to host:port)
  const colon = named.lastIndexOf(':');
  const tag = colon > named.lastIndexOf('/') ? named.slice(colon + 1) : undefined;
  const path = tag === undefined ? named : named.slice(0, colon);
  if (digest !== undefined && !DIGEST.test(digest)) return { invalid: `"${digest}" is not a digest (algorithm:hex)` };
  if (tag !== undefined && !TAG.test(tag)) return { invalid: `"${tag}" is not a valid tag` };
  const host = registryHost(path);
  if (host && !HOST.test(host)) return { invalid: `"${host}" is not a registry host` };
  const hub = !host || host === DOCKER_HUB || host === 'index.docker.io';
  let repository = host ? path.slice(host.length + 1) : path;
  if (hub && !repository.includes('/')) repository = `library/${repository}`;
  const bad = repository.split('/').find((c) => !COMPONENT.test(c));
  if (bad !== undefined) return { invalid: `"${bad || path}" is not a valid repository name (lower-case letters, digits and separators)` };
  const registry = hub ? DOCKER_HUB : host;
  return { image, registry, apiHost: hub ? DOCKER_HUB_API : host, repository, reference: digest ?? tag ?? 'latest', name: `${registry}/${repository}` };
}

/** Loopback registries (the tests', a port-forward) speak plain HTTP; container runtimes allow that for them too. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}
