/**
 * The secrets an install needs (webhook certificate, MPI SSH key): the ones already in the cluster when
 * still good (a certificate with 30+ days left and the right names; any existing key), else new ones.
 * `readSecret` returns a Secret's data in the install namespace; without it (render --include-secrets)
 * everything is generated.
 */
import type { Values } from '../config/values-schema.ts';
import { generatesWebhookCert, renderContext, type Material } from '../render/context.ts';
import { webhookServiceName } from '../render/operator.ts';
import { DYNAMO_PLATFORM_VERSION } from '../version.ts';
import { generateSshKeyPair, generateWebhookCert, reusableWebhookCert } from './generate.ts';

export type SecretReader = (name: string) => Promise<Record<string, string> | undefined>;

export async function materialFor(values: Values, readSecret: SecretReader = async () => undefined): Promise<{ material: Material; notes: string[] }> {
  const op = values['dynamo-operator'];
  const material: Material = {};
  const notes: string[] = [];
  if (generatesWebhookCert(values)) {
    const request = {
      serviceName: webhookServiceName(renderContext(values, DYNAMO_PLATFORM_VERSION)),
      namespace: values.dynamoctl.namespace,
      clusterDomain: op.kubernetesClusterDomain,
      validityDays: op.webhook.certificateValidity,
    };
    const existing = await reusableWebhookCert(await readSecret(op.webhook.certificateSecret.name), request);
    if (existing.reuse) material.webhook = existing.cert;
    else {
      material.webhook = await generateWebhookCert(request);
      if (existing.reason !== 'no secret data') notes.push(`webhook certificate renewed: ${existing.reason}`);
    }
  }
  if (op.dynamo.mpiRun.sshKeygen.enabled) {
    const data = await readSecret(op.dynamo.mpiRun.secretName);
    const decode = (k: string): string | undefined => (data?.[k] ? Buffer.from(data[k], 'base64').toString('utf8') : undefined);
    const privateKey = decode('private.key');
    const publicKey = decode('private.key.pub');
    material.ssh = privateKey && publicKey ? { privateKey, publicKey } : generateSshKeyPair();
  }
  return { material, notes };
}
