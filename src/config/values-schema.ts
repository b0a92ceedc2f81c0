/**
 * The values schema, as data, and the TypeScript view of validated values. Mirrors templates/values.yaml:
 * `dynamoctl` and `dynamo-operator` are closed (we own them), the subchart sections are open.
 * Every key of the upstream 0.8.1 chart's values files, and every key its templates read, is accepted;
 * those dynamoctl does not act on are listed in ignored-keys.ts (a warning names them when set).
 */
import { any, arr, bool, duration, int, map, obj, str, type Schema } from './schema.ts';

/** DNS-1123 label: namespaces, release names (helm adds a 53-character limit). */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: most object names (Secrets, ServiceAccounts). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const label = (): Schema => str({ pattern: DNS1123_LABEL, patternHint: 'a DNS-1123 label (lower-case letters, digits and "-", starting and ending alphanumeric)' });
const subdomain = (): Schema => str({ pattern: DNS1123_SUBDOMAIN, patternHint: 'a valid object name (DNS-1123: lower-case letters, digits, "-" and ".")' });
/** Image references and similar free text: no whitespace or control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this pattern refuses
const token = (): Schema => str({ pattern: /^[^\s\u0000-\u001f]+$/, patternHint: 'a single word without spaces or control characters' });
const pullSecrets = (): Schema => arr(obj({ name: subdomain() }));
const pullPolicy = (): Schema => str({ enum: ['Always', 'IfNotPresent', 'Never'] });
const image = (extra: Record<string, Schema> = {}): Schema => obj({ repository: token(), tag: str({ pattern: /^[\w][\w.-]{0,127}$/, patternHint: 'an image tag' }), ...extra });
const chartSource = (): Schema =>
  obj({
    name: token(),
    repo: str({ pattern: /^(https?|oci):\/\/[^\s]+$/, patternHint: 'an http(s):// chart repository or an oci:// reference' }),
    version: token(),
    path: str(),
    plainHttp: bool(),
  });
const container = (imageExtra: Record<string, Schema> = {}): Schema =>
  obj({ args: arr(str()), image: image({ imagePullPolicy: pullPolicy(), ...imageExtra }), resources: any('object'), containerSecurityContext: any('object') });

export const valuesSchema: Schema = obj(
  {
    dynamoctl: obj({
      release: str({ pattern: DNS1123_LABEL, patternHint: 'a valid release name (DNS-1123 label, at most 53 characters)' }),
      namespace: label(),
      namespaceOnly: bool(),
      registry: str({ pattern: /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/i, patternHint: 'a registry host with optional port and path, e.g. mirror.example.com:5000/dynamo' }),
      timeouts: obj({ helm: duration(), rollout: duration(), failFast: duration() }),
      charts: obj({ 'dynamo-crds': chartSource(), nats: chartSource(), etcd: chartSource(), grove: chartSource(), 'kai-scheduler': chartSource() }),
    }),
    'dynamo-operator': obj({
      enabled: bool(),
      nameOverride: str({ pattern: DNS1123_LABEL, patternHint: 'a DNS-1123 label' }),
      fullnameOverride: str({ pattern: DNS1123_LABEL, patternHint: 'a DNS-1123 label' }),
      natsAddr: str({ pattern: /^nats:\/\/[^\s]+$/, patternHint: 'a NATS URL like nats://host:4222' }),
      etcdAddr: str({ pattern: /^[^\s/]+:\d+$/, patternHint: 'host:port without a scheme, like my-etcd.ns.svc:2379' }),
      nats: obj({ enabled: bool() }),
      modelExpressURL: str({ pattern: /^https?:\/\/[^\s]+$/, patternHint: 'an http(s) URL' }),
      discoveryBackend: str({ enum: ['kubernetes', 'etcd'] }),
      kubernetesClusterDomain: subdomain(),
      imagePullSecrets: pullSecrets(),
      istioVirtualServiceEnabled: bool(),
      // ignored (ignored-keys.ts): read only by a chart helper no template includes
      serviceAccount: obj({ create: bool(), name: subdomain() }),
      namespaceRestriction: obj({ enabled: bool(), targetNamespace: label(), lease: obj({ duration: duration(), renewInterval: duration() }) }),
      controllerManager: obj({
        replicas: int(0, 100),
        tolerations: any('array'),
        affinity: any(),
        serviceAccount: obj({ annotations: map(str()) }),
        leaderElection: obj({ id: token(), namespace: label() }),
        kubeRbacProxy: container(),
        // pullPolicy: in the chart's values, read by no template (ignored)
        manager: container({ pullPolicy: pullPolicy() }),
      }),
      dynamo: obj({
        components: obj({ serviceAccount: obj({ annotations: map(str()) }) }),
        groveTerminationDelay: duration(),
        internalImages: obj({ debugger: token() }),
        enableRestrictedSecurityContext: bool(),
        dockerRegistry: obj({ useKubernetesSecret: bool(), server: token(), username: str(), password: str(), existingSecretName: subdomain(), secure: bool() }),
        ingress: obj({ enabled: bool(), className: subdomain(), tlsSecretName: subdomain() }),
        istio: obj({ enabled: bool(), gateway: token() }),
        ingressHostSuffix: subdomain(),
        // the chart's DYNAMO_INGRESS_SUFFIX (ingressHostSuffix is the --ingress-host-suffix flag)
        dynamoIngressSuffix: subdomain(),
        virtualServiceSupportsHTTPS: bool(),
        metrics: obj({ prometheusEndpoint: str({ pattern: /^https?:\/\/[^\s]+$/, patternHint: 'an http(s) URL' }) }),
        mpiRun: obj({
          secretName: subdomain(),
          sshKeygen: obj({ enabled: bool(), keygenImage: token(), kubectlImage: token(), tolerations: any('array'), affinity: any() }),
        }),
      }),
      metricsService: obj({ type: str({ enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }), ports: any('array'), enabled: bool() }),
      webhook: obj({
        enabled: bool(),
        certificateSecret: obj({ name: subdomain(), external: bool() }),
        certificateValidity: int(1, 3650),
        caBundle: str({ pattern: /^[A-Za-z0-9+/=\s]*$/, patternHint: 'base64 (a PEM bundle, base64-encoded)' }),
        failurePolicy: str({ enum: ['Fail', 'Ignore'] }),
        timeoutSeconds: int(1, 30),
        namespaceSelector: any('object'),
        certManager: obj({
          enabled: bool(),
          certificate: obj({ duration: duration(), renewBefore: duration(), rootCA: obj({ duration: duration(), renewBefore: duration() }) }),
        }),
        // ignored: the image of the chart's certificate Jobs
        certGenerator: obj({ image: image({ pullPolicy: pullPolicy() }) }),
      }),
    }),
    nats: obj({ enabled: bool() }, true),
    etcd: obj({ enabled: bool() }, true),
    grove: obj({ enabled: bool() }, true),
    'kai-scheduler': obj({ enabled: bool() }, true),
    // The platform chart's global section: passed through.
    global: any('object'),
    // Read only by the platform chart's NOTES.txt (no such subchart in 0.8.1): accepted, ignored.
    'dynamo-api-store': any('object'),
  },
  false,
);

/** A chart source as resolved values hold it. */
export interface ChartSource {
  name: string;
  repo: string;
  version: string;
  path: string;
  plainHttp: boolean;
}

export type SubchartKey = 'nats' | 'etcd' | 'grove' | 'kai-scheduler';
export type ChartKey = 'dynamo-crds' | SubchartKey;

export interface ImageValues {
  repository: string;
  tag: string;
  imagePullPolicy?: string;
  /** The chart's spelling, accepted and ignored (ignored-keys.ts). */
  pullPolicy?: string;
}
export interface ContainerValues {
  args: string[];
  image: ImageValues;
  resources: Record<string, unknown>;
  containerSecurityContext: Record<string, unknown>;
}

/** The operator section after merge and validation (every key present: defaults fill the rest). */
export interface OperatorValues {
  enabled: boolean;
  nameOverride: string;
  fullnameOverride: string;
  natsAddr: string;
  etcdAddr: string;
  nats: { enabled: boolean };
  modelExpressURL: string;
  discoveryBackend: string;
  kubernetesClusterDomain: string;
  imagePullSecrets: { name: string }[];
  istioVirtualServiceEnabled: boolean;
  /** Accepted, ignored (ignored-keys.ts). */
  serviceAccount?: { create?: boolean; name?: string };
  namespaceRestriction: { enabled: boolean; targetNamespace: string; lease: { duration: string; renewInterval: string } };
  controllerManager: {
    replicas: number;
    tolerations: unknown[];
    affinity: Record<string, unknown> | unknown[];
    serviceAccount: { annotations: Record<string, string> };
    leaderElection: { id: string; namespace: string };
    kubeRbacProxy: ContainerValues;
    manager: ContainerValues;
  };
  dynamo: {
    components: { serviceAccount: { annotations: Record<string, string> } };
    groveTerminationDelay: string;
    internalImages: { debugger: string };
    enableRestrictedSecurityContext: boolean;
    dockerRegistry: { useKubernetesSecret: boolean; server: string; username: string; password: string; existingSecretName: string; secure: boolean };
    ingress: { enabled: boolean; className: string; tlsSecretName: string };
    istio: { enabled: boolean; gateway: string };
    ingressHostSuffix: string;
    /** DYNAMO_INGRESS_SUFFIX; templates/values.yaml has no default for it, so possibly absent. */
    dynamoIngressSuffix?: string;
    virtualServiceSupportsHTTPS: boolean;
    metrics: { prometheusEndpoint: string };
    mpiRun: {
      secretName: string;
      /** Only `enabled` is acted on; the rest is accepted, ignored (ignored-keys.ts). */
      sshKeygen: { enabled: boolean; keygenImage?: string; kubectlImage?: string; tolerations?: unknown[]; affinity?: Record<string, unknown> | unknown[] };
    };
  };
  metricsService: { type: string; ports: unknown[]; enabled?: boolean };
  webhook: {
    enabled: boolean;
    certificateSecret: { name: string; external: boolean };
    certificateValidity: number;
    caBundle: string;
    failurePolicy: string;
    timeoutSeconds: number;
    namespaceSelector: Record<string, unknown>;
    certManager: {
      enabled: boolean;
      certificate: { duration: string; renewBefore: string; rootCA: { duration: string; renewBefore: string } };
    };
    /** Accepted, ignored (ignored-keys.ts). */
    certGenerator?: { image: ImageValues };
  };
}

/** Fully resolved values: what render, install and the record work from. */
export interface Values {
  dynamoctl: {
    release: string;
    namespace: string;
    namespaceOnly: boolean;
    registry: string;
    timeouts: { helm: string; rollout: string; failFast: string };
    charts: Record<ChartKey, ChartSource>;
  };
  'dynamo-operator': OperatorValues;
  nats: { enabled: boolean } & Record<string, unknown>;
  etcd: { enabled: boolean } & Record<string, unknown>;
  grove: { enabled: boolean } & Record<string, unknown>;
  'kai-scheduler': { enabled: boolean } & Record<string, unknown>;
  global?: Record<string, unknown>;
  /** Accepted, ignored (ignored-keys.ts). */
  'dynamo-api-store'?: Record<string, unknown>;
}
