/**
 * The image preflight: every image the install will pull, asked of its registry (the OCI distribution API,
 * client in src/registry/) with the credentials of the pull secrets its pods will get. Missing or refused
 * images fail the check; a registry that does not answer from here only warns, since the cluster's nodes
 * may reach what this machine cannot.
 *
 * The images: the operator's pods as rendered, the debugger image the operator hands to its components,
 * each enabled subchart as `helm template` renders it with the install's values (after --registry), and the
 * images its operator starts at run time (components table). Add-ons whose operator already runs in another
 * namespace are reused by install, so their images are not pulled and not asked.
 */
import { mapLimit } from '../concurrency.ts';
import { imagePullsOf, manifestObjects, type ImagePull } from '../components/images.ts';
import { COMPONENTS, SUBCHART_KEYS } from '../components/table.ts';
import { subchartValues } from '../components/values.ts';
import { registryHost, rewriteRegistry } from '../config/images.ts';
import type { ChartSource, SubchartKey, Values } from '../config/values-schema.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { ClusterError } from '../errors.ts';
import { templateChart } from '../helm/template.ts';
import { renderContext } from '../render/context.ts';
import { subchartRelease } from '../render/names.ts';
import { componentsRegistrySecretName } from '../render/rbac.ts';
import { credentialsFor, keyringOfSecret, type Keyring, type SecretLike } from '../registry/credentials.ts';
import { parseImageReference } from '../registry/reference.ts';
import { judge, summarise, unreachableLine, UNREACHABLE_FIX, type ManifestProbe, type Verdict, type VerdictLevel } from '../registry/verdict.ts';
import { DYNAMO_PLATFORM_VERSION } from '../version.ts';
import type { CheckContext } from './context.ts';
import type { Check, Outcome } from './types.ts';

/** How long one registry request may take: an unreachable registry costs this once, not once per image. */
export const REGISTRY_TIMEOUT_MS = 3000;
/** Registry requests under way at once. */
export const REGISTRY_CONCURRENCY = 8;

type AddonOperator = (ctx: CheckContext, key: SubchartKey) => Promise<{ namespace: string } | undefined>;

/** The check; `addonOperator` finds a running Grove or Kai operator (preflight's shared, memoised fact). */
export function imagesCheck(addonOperator: AddonOperator): Check {
  return {
    id: 'images',
    category: 'images',
    severity: 'error',
    description: 'every image the install pulls exists in its registry and may be pulled with the pods’ pull secrets',
    hint: 'fix what each line says; --skip-check images="<reason>" lets install through',
    requires: ['kubeconfig', 'api-reachable', 'authenticated', 'helm'],
    async run(ctx) {
      const { pulls, notes } = await installPulls(ctx, addonOperator);
      const secrets = await pullSecretKeyrings(ctx, [...new Set(pulls.flatMap((p) => p.pullSecrets))]);
      const { createRegistryClient } = await import('../registry/client.ts');
      const client = createRegistryClient({ timeoutMs: REGISTRY_TIMEOUT_MS, plainHttp: plainHttpHosts(ctx) });
      const probes = await mapLimit(pulls, REGISTRY_CONCURRENCY, async (pull): Promise<ManifestProbe> => {
        const ref = parseImageReference(pull.image);
        if ('invalid' in ref) return { kind: 'invalid', reason: ref.invalid };
        const keyring: Keyring = pull.pullSecrets.flatMap((name) => secrets.keyrings.get(name) ?? []);
        return client.probe(ref, credentialsFor(keyring, ref));
      });
      return report(pulls, probes, [...notes, ...secrets.notes], ctx.values.dynamoctl.registry, await runningImages(ctx));
    },
  };
}

/** The images of the pods in the install namespace (none when it does not exist or may not be listed). */
async function runningImages(ctx: CheckContext): Promise<Set<string>> {
  type Pod = { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } };
  const pods = await ctx.kube().list<Pod>(`/api/v1/namespaces/${ctx.planned.namespace}/pods`).catch(() => [] as Pod[]);
  return new Set(pods.flatMap((p) => [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].map((c) => c.image ?? '')).filter(Boolean));
}

/** Every image the install pulls, with the pull secrets of the pods that pull it. */
async function installPulls(ctx: CheckContext, addonOperator: AddonOperator): Promise<{ pulls: ImagePull[]; notes: string[] }> {
  const { values, planned } = ctx;
  const op = values['dynamo-operator'];
  const registry = values.dynamoctl.registry;
  const notes: string[] = [];
  const lists: ImagePull[][] = [imagePullsOf(ctx.objects)];
  // component pods (which the debugger image serves) run as the components' ServiceAccount and get its secret
  const componentsSecret = op.dynamo.dockerRegistry.useKubernetesSecret ? [componentsRegistrySecretName(renderContext(values, DYNAMO_PLATFORM_VERSION))] : [];
  lists.push([{ image: rewriteRegistry(op.dynamo.internalImages.debugger, registry), pullSecrets: componentsSecret }]);
  const keys = SUBCHART_KEYS.filter((k) => values[k].enabled);
  lists.push(
    ...(await Promise.all(
      keys.map(async (key): Promise<ImagePull[]> => {
        const running = COMPONENTS[key].operator ? await addonOperator(ctx, key).catch(() => undefined) : undefined;
        if (running && running.namespace !== planned.namespace) return [];
        try {
          return await subchartPulls(values, key, values.dynamoctl.charts[key], values.dynamoctl.charts[key].version, ctx.helm);
        } catch (error) {
          notes.push(`${key}: its images are not known (${(error as Error).message})`);
          return [];
        }
      }),
    )),
  );
  return { pulls: mergePulls(lists.flat()), notes };
}

/**
 * The images one subchart pulls, with its pods' pull secrets: what `helm template` renders from `chart` (a
 * chart source or a pulled file) with the install's values, and what its operator starts at run time with
 * the secrets the chart's own pods get (empty `version`: not known, so those are left out).
 */
export async function subchartPulls(values: Values, key: SubchartKey, chart: string | ChartSource, version: string, helm: HelmOptions): Promise<ImagePull[]> {
  const chartValues = subchartValues(values, key);
  const { release, namespace } = values.dynamoctl;
  const manifests = await templateChart(chart, { release: subchartRelease(release, key), namespace, values: chartValues }, helm);
  const rendered = imagePullsOf(manifestObjects(manifests));
  const secrets = [...new Set(rendered.flatMap((p) => p.pullSecrets))];
  const runtime = version ? COMPONENTS[key].runtimeImages(version, chartValues) : [];
  return [...rendered, ...runtime.map((image) => ({ image, pullSecrets: secrets }))];
}

function mergePulls(pulls: readonly ImagePull[]): ImagePull[] {
  const merged = new Map<string, Set<string>>();
  for (const p of pulls) {
    const secrets = merged.get(p.image) ?? new Set<string>();
    p.pullSecrets.forEach((s) => secrets.add(s));
    merged.set(p.image, secrets);
  }
  return [...merged].map(([image, secrets]) => ({ image, pullSecrets: [...secrets].sort() }));
}

/**
 * The keyring of each pull secret: from the install's own objects (the secret it generates from the values'
 * registry credentials), the wizard's secret, or the cluster. A secret that cannot be read adds a note.
 */
async function pullSecretKeyrings(ctx: CheckContext, names: string[]): Promise<{ keyrings: Map<string, Keyring>; notes: string[] }> {
  const ns = ctx.planned.namespace;
  const own = [...ctx.objects, ...ctx.userSecrets].filter((o) => o.kind === 'Secret');
  const keyrings = new Map<string, Keyring>();
  const notes: string[] = [];
  await Promise.all(
    names.map(async (name) => {
      const source = `secret ${ns}/${name}`;
      const planned = own.find((o) => o.metadata.name === name && (o.metadata.namespace ?? ns) === ns);
      if (planned) return keyrings.set(name, keyringOfSecret(planned as SecretLike, source));
      try {
        const secret = await ctx.kube().getOptional<SecretLike>(`/api/v1/namespaces/${ns}/secrets/${name}`);
        if (secret) keyrings.set(name, keyringOfSecret(secret, source));
        else notes.push(`pull secret ${name} is not in namespace ${ns}: its images were asked without it`);
      } catch (error) {
        if (!(error instanceof ClusterError && error.status === 403)) throw error;
        notes.push(`you may not read pull secret ${name}: its images were asked without it`);
      }
      return undefined;
    }),
  );
  return { keyrings, notes };
}

/** Hosts that may be asked over plain HTTP besides loopback: the components' registry when marked not secure. */
function plainHttpHosts(ctx: CheckContext): (host: string) => boolean {
  const registry = ctx.values['dynamo-operator'].dynamo.dockerRegistry;
  const insecure = registry.secure === false && registry.server ? registryHost(`${registry.server}/x`) : '';
  return (host) => insecure !== '' && host === insecure;
}

/** The outcome: failures (with each fix) first, then what could not be verified; credentials never appear. */
/**
 * `running`: images pods in the install namespace run now (an upgrade, an adopted release). One the registry
 * no longer has is a warning, not a failure: the nodes that run it keep it; only a new node could not pull it.
 */
export function report(pulls: readonly ImagePull[], probes: readonly ManifestProbe[], notes: readonly string[], mirror: string, running: ReadonlySet<string> = new Set()): Outcome {
  const verdicts: Verdict[] = [];
  // one line per registry that does not answer, not per image: it is the registry that is out of reach
  const unreachable = new Map<string, { registry: string; reason: string; images: string[] }>();
  pulls.forEach((p, i) => {
    const probe = probes[i]!;
    const ref = parseImageReference(p.image);
    const registry = 'invalid' in ref ? p.image : ref.registry;
    if (probe.kind === 'unreachable') {
      const group = unreachable.get(`${registry} ${probe.reason}`) ?? { registry, reason: probe.reason, images: [] };
      group.images.push(p.image);
      unreachable.set(`${registry} ${probe.reason}`, group);
    } else {
      const verdict = judge(probe, { image: p.image, registry, ...(mirror ? { mirror } : {}) });
      verdicts.push(verdict.level === 'fail' && running.has(p.image) ? { ...verdict, level: 'warn', line: `${verdict.line} (running now: the nodes that have it keep it; a new node could not pull it)` } : verdict);
    }
  });
  const lines = (level: VerdictLevel): string[] => verdicts.filter((v) => v.level === level).flatMap((v) => [v.line, ...(v.fix ? [`  fix: ${v.fix}`] : [])]);
  const unreachableLines = [...unreachable.values()].map((g) => unreachableLine(g.registry, g.reason, g.images));
  const details = [...lines('fail'), ...lines('warn'), ...unreachableLines, ...(unreachableLines.length ? [`  fix: ${UNREACHABLE_FIX}`] : []), ...notes];
  const summary = `${pulls.length} images: ${summarise(probes)}`;
  if (verdicts.some((v) => v.level === 'fail')) return { status: 'fail', message: summary, details };
  if (details.length) return { status: 'warn', message: summary, details };
  return { status: 'pass', detail: summary };
}
