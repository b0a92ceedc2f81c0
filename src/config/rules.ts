/**
 * The chart's own rules on values, checked on the merged result (they relate keys to each other, so no
 * single layer can be blamed). Messages follow the chart's validation, with the fix spelled out.
 */
import { parseDuration } from './duration.ts';
import type { Values } from './values-schema.ts';

/** The leader-election id every cluster-wide Dynamo operator shares. */
export const DEFAULT_LEADER_ELECTION_ID = 'dynamo.nvidia.com';


export function checkValueRules(values: Values): string[] {
  const problems: string[] = [];
  const op = values['dynamo-operator'];
  const { release, namespace } = values.dynamoctl;
  const clusterWide = !op.namespaceRestriction.enabled;

  if (release.length > 53) problems.push(`dynamoctl.release: "${release}" is ${release.length} characters; release names are at most 53 (helm's limit)`);
  if (clusterWide && op.controllerManager.leaderElection.id && op.controllerManager.leaderElection.id !== DEFAULT_LEADER_ELECTION_ID) {
    problems.push(
      `dynamo-operator.controllerManager.leaderElection.id: a custom id ("${op.controllerManager.leaderElection.id}") is refused cluster-wide: ` +
        `two cluster-wide operators with different ids would both act (split brain); leave it empty to use ${DEFAULT_LEADER_ELECTION_ID}`,
    );
  }
  if (clusterWide && op.controllerManager.leaderElection.namespace === namespace) {
    problems.push(
      `dynamo-operator.controllerManager.leaderElection.namespace: must not be the install namespace (${namespace}) cluster-wide; ` +
        `leave it empty (kube-system) or pick another namespace`,
    );
  }
  if (values.dynamoctl.namespaceOnly && clusterWide) {
    problems.push('dynamoctl.namespaceOnly: only applies to namespace mode; add --scope namespace');
  }
  const lease = op.namespaceRestriction.lease;
  if ((parseDuration(lease.renewInterval) ?? 0) >= (parseDuration(lease.duration) ?? 0)) {
    problems.push(`dynamo-operator.namespaceRestriction.lease.renewInterval (${lease.renewInterval}) must be shorter than lease.duration (${lease.duration})`);
  }
  const registry = op.dynamo.dockerRegistry;
  if (registry.useKubernetesSecret && !registry.existingSecretName) {
    const missing = (['server', 'username', 'password'] as const).filter((k) => !registry[k]);
    if (missing.length) {
      problems.push(
        `dynamo-operator.dynamo.dockerRegistry: useKubernetesSecret needs either existingSecretName or server, username and password (missing: ${missing.join(', ')})`,
      );
    }
  }
  const webhook = op.webhook;
  if (webhook.enabled && webhook.certManager.enabled && webhook.certificateSecret.external) {
    problems.push('dynamo-operator.webhook: certManager.enabled and certificateSecret.external exclude each other; choose one source of the certificate');
  }
  if (webhook.caBundle && !webhook.certificateSecret.external) {
    problems.push('dynamo-operator.webhook.caBundle: only used with certificateSecret.external=true (otherwise dynamoctl or cert-manager provides the CA)');
  }
  return problems;
}
