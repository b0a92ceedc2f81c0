/**
 * Which helm release owns the Dynamo CRDs (their meta.helm.sh annotations): a release that was uninstalled
 * left them behind (the chart keeps them) and they may be taken over; one that still exists owns them.
 */
import type { CrdStatus } from '../cluster/discovery.ts';
import { ClusterError } from '../errors.ts';
import type { ReleaseState } from './install.ts';

export type ReleaseLookup = (release: string, namespace: string) => Promise<ReleaseState | undefined>;

/**
 * The helm releases (other than `own`) that the CRDs' meta.helm.sh annotations name: `gone` ones left the
 * CRDs behind (the chart keeps them) and may be taken over; a `live` one still owns them.
 */
export async function crdOwners(crds: readonly CrdStatus[], own: { release: string; namespace: string }, status: ReleaseLookup): Promise<{ gone: string[]; live?: { release: string; namespace: string } }> {
  const owners = new Map<string, { release: string; namespace: string }>();
  for (const c of crds) if (c.helmOwner && !(c.helmOwner.release === own.release && c.helmOwner.namespace === own.namespace)) owners.set(`${c.helmOwner.namespace}/${c.helmOwner.release}`, c.helmOwner);
  const gone: string[] = [];
  for (const [key, owner] of owners) {
    if (await status(owner.release, owner.namespace)) return { gone, live: owner };
    gone.push(key);
  }
  return { gone };
}

/** The refusal when a release that still exists owns (some of) the CRDs an install would have to add. */
export function liveCrdOwnerError(owner: { release: string; namespace: string }, missing: readonly string[]): ClusterError {
  return new ClusterError(`the Dynamo CRDs belong to helm release ${owner.release} in ${owner.namespace}${missing.length ? `, which lacks ${missing.join(', ')}` : ''}`, {
    hint: `repair that release (helm upgrade ${owner.release} -n ${owner.namespace}) or remove it, then re-run`,
  });
}

