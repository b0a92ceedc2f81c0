/** The operator's ServiceAccounts, Roles and bindings, as the 0.8.1 chart renders them for either scope. */
import type { KubeObject } from './k8s-types.ts';
import { RBAC, managerSa, meta, roleWithBinding, saSubject, serviceAccount, webhookActive, type RenderContext } from './context.ts';
import { certReaderRules, clusterProfilingRules, leaderElectionRules, managerRules, metricsReaderRules, plannerRules, profilingRules, proxyRules, queueReaderRules } from './rbac-rules.ts';

/** The dockerconfigjson Secret's name: the user's existing one, else `<fullname>-regcred`. */
export function componentsRegistrySecretName(ctx: RenderContext): string {
  return ctx.op.dynamo.dockerRegistry.existingSecretName || `${ctx.f}-regcred`;
}

export function rbacObjects(ctx: RenderContext): KubeObject[] {
  const { op, f, ns, tns, clusterWide } = ctx;
  const manager = saSubject(managerSa(ctx), ns);
  const componentsPullSecret = op.dynamo.dockerRegistry.useKubernetesSecret ? componentsRegistrySecretName(ctx) : undefined;
  // namespace mode: the operator's own roles live in the namespace it manages
  const scope = clusterWide ? undefined : tns;
  const rbac = { component: 'rbac' };
  const objects: KubeObject[] = [
    serviceAccount(ctx, managerSa(ctx), rbac, { annotations: op.controllerManager.serviceAccount.annotations }),
    serviceAccount(ctx, `${f}-component`, { component: 'rbac', extra: { 'nvidia.com/dynamo-component-pod': 'true' } }, {
      annotations: op.dynamo.components.serviceAccount.annotations,
      pullSecret: componentsPullSecret,
    }),
    ...roleWithBinding(ctx, { role: `${f}-manager-role`, binding: `${f}-manager-rolebinding`, rules: managerRules({ istio: op.istioVirtualServiceEnabled }), namespace: scope, subjects: [manager], labels: 'common', bindingLabels: rbac }),
    ...roleWithBinding(ctx, { role: `${f}-leader-election-role`, binding: `${f}-leader-election-rolebinding`, rules: leaderElectionRules, namespace: scope, subjects: [manager], labels: rbac }),
    // namespace mode: the binding names the Role beside it (the chart names a ClusterRole; see deviations.ts)
    ...roleWithBinding(ctx, { role: `${f}-proxy-role`, binding: `${f}-proxy-rolebinding`, rules: proxyRules, namespace: scope, subjects: [manager], labels: { component: 'kube-rbac-proxy' } }),
    // the queue reader is named after the install namespace: cluster-scoped, one per install
    ...roleWithBinding(ctx, { role: `${f}-${ns}-queue-reader`, binding: `${f}-${ns}-queue-reader-binding`, rules: queueReaderRules, subjects: [manager], labels: rbac }),
  ];
  if (clusterWide) {
    objects.push(
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: meta(ctx, `${f}-planner`, 'common'), rules: plannerRules },
      ...roleWithBinding(ctx, { role: `${f}-dgdr-profiling`, binding: `${f}-dgdr-profiling`, rules: clusterProfilingRules, subjects: [saSubject('dgdr-profiling-job', ns)], labels: { profiling: true } }),
    );
  } else {
    objects.push(
      serviceAccount(ctx, 'planner-serviceaccount', 'common', { pullSecret: componentsPullSecret }),
      ...roleWithBinding(ctx, { role: 'planner-role', binding: 'planner-binding', rules: plannerRules, namespace: ns, subjects: [saSubject('planner-serviceaccount', ns)], labels: 'common' }),
      serviceAccount(ctx, 'dgdr-profiling-job', { profiling: true }),
      ...roleWithBinding(ctx, { role: 'dgdr-profiling-job', binding: 'dgdr-profiling-job', rules: profilingRules, namespace: ns, subjects: [saSubject('dgdr-profiling-job', ns)], labels: { profiling: true } }),
    );
  }
  if (webhookActive(ctx.values)) {
    const name = `${f}-webhook-cert-reader`;
    objects.push(...roleWithBinding(ctx, { role: name, binding: name, rules: certReaderRules(op.webhook.certificateSecret.name), namespace: ns, subjects: [manager], labels: { component: 'webhook' } }));
  }
  if (op.metricsService.enabled && clusterWide) {
    objects.push({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: meta(ctx, `${f}-metrics-reader`, { component: 'kube-rbac-proxy' }), rules: metricsReaderRules });
  }
  return objects;
}
