/**
 * What one registry answer means for an install, and what to do about it: the verdict table of the image
 * preflight. Pure: the answers come from client.ts.
 */

/** What asking a registry for one image's manifest found. */
export type ManifestProbe =
  | { kind: 'exists'; digest?: string; plainHttp?: boolean }
  | { kind: 'missing' }
  /** 401/403 from the registry or its token service; `credentials` names the pull secrets tried (none: anonymous). */
  | { kind: 'unauthorized'; credentials: string[] }
  /** No answer from here: DNS, refused, timeout, TLS. The cluster's nodes may still reach it. */
  | { kind: 'unreachable'; host: string; reason: string }
  /** An answer that says nothing about the image (429, 5xx, a token service that fails). */
  | { kind: 'error'; reason: string }
  | { kind: 'invalid'; reason: string };

export type VerdictLevel = 'ok' | 'fail' | 'warn';

export interface Verdict {
  level: VerdictLevel;
  /** "<image>: <what>" */
  line: string;
  fix?: string;
}

export interface VerdictContext {
  image: string;
  /** The registry as pull secrets name it (docker.io for Docker Hub). */
  registry: string;
  /** The install moves images to this mirror (--registry). */
  mirror?: string;
}

const LEVEL: Record<ManifestProbe['kind'], VerdictLevel> = { exists: 'ok', missing: 'fail', unauthorized: 'fail', invalid: 'fail', unreachable: 'warn', error: 'warn' };

export function judge(probe: ManifestProbe, c: VerdictContext): Verdict {
  const level = LEVEL[probe.kind];
  switch (probe.kind) {
    case 'exists':
      return { level, line: `${c.image}: exists${probe.plainHttp ? ' (plain HTTP)' : ''}` };
    case 'missing':
      return {
        level,
        line: `${c.image}: missing (${c.registry} has no such manifest)`,
        fix: c.mirror
          ? `copy the image into the mirror at this path (dynamoctl bundle lists every image to mirror), or fix the tag in the values`
          : 'fix the repository or tag in the values (e.g. --operator-tag), or choose a version that exists',
      };
    case 'unauthorized':
      return probe.credentials.length
        ? {
            level,
            line: `${c.image}: unauthorized (${c.registry} refused the credentials of ${probe.credentials.join(', ')})`,
            fix: `check the user and password in ${probe.credentials.length > 1 ? 'those secrets' : 'that secret'} and that they may pull this repository (or the image does not exist)`,
          }
        : {
            level,
            line: `${c.image}: unauthorized (${c.registry} wants credentials, and no pull secret of the pod has any for it)`,
            fix: `create a docker-registry secret for ${c.registry} and pass it with --image-pull-secret (or the image does not exist)`,
          };
    case 'unreachable':
      return { level, line: unreachableLine(probe.host, probe.reason, [c.image]), fix: UNREACHABLE_FIX };
    case 'error':
      return { level, line: `${c.image}: not verified (${probe.reason})`, fix: 'run dynamoctl check again later' };
    case 'invalid':
      return { level, line: `${c.image}: not a valid image reference (${probe.reason})`, fix: 'correct the image in the values' };
  }
}

/** One line for every image of a registry that does not answer from here: a warning, never a failure. */
export function unreachableLine(registry: string, reason: string, images: readonly string[]): string {
  return `${registry} is not reachable from here (${reason}): ${images.length === 1 ? images[0] : `${images.length} images not verified (${images.join(', ')})`}`;
}

export const UNREACHABLE_FIX = "if the cluster's nodes cannot reach it either, its pods stay in ImagePullBackOff: check the name, or install with --registry <a mirror they reach>";

/** The outcome of many verdicts in one sentence: counts by kind, worst first. */
export function summarise(probes: readonly ManifestProbe[]): string {
  const count = (kind: ManifestProbe['kind']): number => probes.filter((p) => p.kind === kind).length;
  const parts = [
    [count('missing'), 'missing'],
    [count('unauthorized'), 'unauthorized'],
    [count('invalid'), 'invalid'],
    [count('unreachable') + count('error'), 'not verified'],
    [count('exists'), 'exist'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ');
}
