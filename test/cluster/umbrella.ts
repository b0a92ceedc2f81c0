/**
 * A stand-in for the real `dynamo-platform` 0.8.1 umbrella chart, for the tests of `dynamoctl adopt`:
 * built at test time from the upstream reference data (../shared/upstream, never copied into the
 * repository) and our fixture nats and etcd charts, so that `helm install dynamo-platform` can be done on
 * the local control plane as a user did it. Also what the chart's hook Jobs would have done (kwok runs
 * nothing in a pod): see runUmbrellaHooks.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { PLATFORM_081_DIR, upstreamAvailable } from '../helpers/upstream.ts';
import { fixtureChartsDir } from './charts.ts';
import { binaries } from './versions.ts';

/** One case of the reference data's cases.json: how its render was made. */
export interface UpstreamCase {
  name: string;
  release: string;
  namespace: string;
  /** helm flags (`--set k=v`, `--set-json k=json`), as given to `helm template`. */
  values: string[];
  /** API versions the render assumed the cluster serves (`-a`). */
  apiVersions: string[];
}

export function upstreamCase(caseName: string): UpstreamCase {
  if (!upstreamAvailable()) throw new Error(`the dynamo-platform stand-in needs the upstream reference data, not found at ${PLATFORM_081_DIR}`);
  const cases = JSON.parse(readFileSync(join(PLATFORM_081_DIR, 'cases.json'), 'utf8')) as UpstreamCase[];
  const found = cases.find((c) => c.name === caseName);
  if (!found) throw new Error(`no case ${caseName} in ${PLATFORM_081_DIR}cases.json (there: ${cases.map((c) => c.name).join(', ')})`);
  return found;
}

const OPERATOR = 'dynamo-operator';
const FULLNAME = `{{ include "${OPERATOR}.fullname" . }}`;

// The operator chart's naming rule (its _helpers.tpl), which the renders show: fullnameOverride, else the
// release name when it holds the chart name, else <release>-<name>.
const OPERATOR_HELPERS = `{{- define "${OPERATOR}.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}
`;

/** The string values a case's flags set (`--set a.b=v`: v; `--set-json`: every string in the JSON). */
function flagValues(c: UpstreamCase): Map<string, string> {
  const out = new Map<string, string>();
  const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : []);
  for (let i = 0; i + 1 < c.values.length; i += 2) {
    const [key, value] = splitOnce(c.values[i + 1]!);
    if (c.values[i] === '--set') out.set(key, value);
    else if (c.values[i] === '--set-json') for (const s of strings(JSON.parse(value))) out.set(`${key}#${s}`, s);
  }
  return out;
}

function splitOnce(s: string): [string, string] {
  const at = s.indexOf('=');
  return [s.slice(0, at), s.slice(at + 1)];
}

/** The operator's fullname in the case's render, by the chart's rule. */
function caseFullname(c: UpstreamCase, flags: Map<string, string>): string {
  const trunc = (s: string): string => s.slice(0, 63).replace(/-$/, '');
  const override = flags.get(`${OPERATOR}.fullnameOverride`);
  if (override) return trunc(override);
  const name = flags.get(`${OPERATOR}.nameOverride`) ?? OPERATOR;
  return trunc(c.release.includes(name) ? c.release : `${c.release}-${name}`);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `word` where it stands alone: not inside a longer name ('-' and '.' separate the parts of a name). */
const standalone = (word: string): RegExp => new RegExp(`(?<![A-Za-z0-9_])${escapeRe(word)}(?![A-Za-z0-9_])`, 'g');

/**
 * One document of a render turned back into template text: the operator fullname, the release name and
 * the namespace become what the chart computed them from, hook Job names end in the revision (the chart
 * names them `…-{{ .Release.Revision }}`; renders are revision 1), and objects of API versions the case
 * assumed are rendered only when the cluster serves them (the chart checks .Capabilities).
 */
function templatize(doc: string, c: UpstreamCase, flags: Map<string, string>): string {
  if (doc.includes('{{')) throw new Error(`the render of ${c.name} holds "{{": it cannot be made into a template as it is`);
  const fullname = caseFullname(c, flags);
  if (fullname === c.release) {
    throw new Error(`in case ${c.name} the release ${c.release} is the operator's fullname: which one the chart used cannot be told apart; build from a case whose release does not hold "${OPERATOR}"`);
  }
  // values the case set that hold the release or namespace (e.g. a lease id team-a.dynamo) stay as set
  const kept = [...flags.values()].filter((v) => v.includes(c.release) || v.includes(c.namespace));
  // placeholders first, so that no replacement finds its word inside an earlier one's template text
  let text = doc;
  kept.forEach((v, i) => (text = text.replaceAll(v, `@@kept${i}@@`)));
  text = text.replace(standalone(fullname), '@@fullname@@').replace(standalone(c.release), '@@release@@').replace(standalone(c.namespace), '@@namespace@@');
  kept.forEach((v, i) => (text = text.replaceAll(`@@kept${i}@@`, v)));
  text = text.replaceAll('@@fullname@@', FULLNAME).replaceAll('@@release@@', '{{ .Release.Name }}').replaceAll('@@namespace@@', '{{ .Release.Namespace }}');
  const head = parseAllDocuments(doc).at(-1)?.toJS() as { apiVersion?: string; kind?: string; metadata?: { annotations?: Record<string, string> } } | null;
  if (head?.kind === 'Job' && head.metadata?.annotations?.['helm.sh/hook']) text = text.replace(/^( {2}name: .*)-1$/m, '$1-{{ .Release.Revision }}');
  if (head?.apiVersion && c.apiVersions.includes(head.apiVersion)) text = `{{- if .Capabilities.APIVersions.Has "${head.apiVersion}" }}\n${text}\n{{- end }}`;
  return text;
}

/** The documents of a `helm template` output by the template file they came from (`# Source:` lines). */
function documentsBySource(render: string): Map<string, string[]> {
  const bySource = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const chunk of render.split(/^---\n/m)) {
    const m = /^# Source: (\S+)\n/.exec(chunk);
    if (m) {
      last = bySource.get(m[1]!) ?? [];
      last.push(chunk.slice(m[0].length));
      bySource.set(m[1]!, last);
    } else if (last) {
      // a template whose text holds "---" of its own (kai.yaml's Queues): still that template's text
      last.push(`${last.pop()}---\n${chunk}`);
    } else if (chunk.trim()) {
      throw new Error(`the render starts with a document without a "# Source:" line: ${chunk.slice(0, 80)}`);
    }
  }
  return bySource;
}

/**
 * Builds the stand-in chart in `into`/dynamo-platform and returns its directory. Chart.yaml as the real
 * one (dependencies dynamo-operator, nats 1.3.2 and etcd 12.0.18 with their conditions); values.yaml the
 * real platform-values.yaml; each document of the upstream render `renders/<caseName>.yaml` (hooks
 * included) in the template file it came from: the operator's in charts/dynamo-operator/templates, so
 * `helm get manifest` names the same sources as for the real chart; nats and etcd are our fixture charts,
 * copied into charts/ (no `helm dependency build` needed). The operator's objects are the case's render:
 * install it with the case's values (installUmbrella passes them); `version` changes only what helm
 * records, not the rendered objects.
 */
export function buildUmbrellaChart(opts: { into: string; caseName: string; version?: string }): string {
  const c = upstreamCase(opts.caseName);
  const version = opts.version ?? '0.8.1';
  const flags = flagValues(c);
  const chart = join(opts.into, 'dynamo-platform');
  rmSync(chart, { recursive: true, force: true });
  const subchartVersion = (name: string): string => (parse(readFileSync(join(fixtureChartsDir, name, 'Chart.yaml'), 'utf8')) as { version: string }).version;
  const operatorDir = join(chart, 'charts', OPERATOR);
  mkdirSync(join(operatorDir, 'templates'), { recursive: true });
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(
    join(chart, 'Chart.yaml'),
    stringify({
      apiVersion: 'v2',
      name: 'dynamo-platform',
      description: `Test stand-in for the dynamo-platform chart, built from the upstream render ${c.name}`,
      type: 'application',
      version,
      appVersion: version,
      dependencies: [
        { name: OPERATOR, version, condition: `${OPERATOR}.enabled` },
        { name: 'nats', version: subchartVersion('nats'), condition: 'nats.enabled' },
        { name: 'etcd', version: subchartVersion('etcd'), condition: 'etcd.enabled' },
      ],
    }),
  );
  cpSync(join(PLATFORM_081_DIR, 'values', 'platform-values.yaml'), join(chart, 'values.yaml'));
  writeFileSync(join(operatorDir, 'Chart.yaml'), stringify({ apiVersion: 'v2', name: OPERATOR, type: 'application', version, appVersion: version }));
  cpSync(join(PLATFORM_081_DIR, 'values', 'operator-values.yaml'), join(operatorDir, 'values.yaml'));
  writeFileSync(join(operatorDir, 'templates', '_helpers.tpl'), OPERATOR_HELPERS);
  for (const sub of ['nats', 'etcd']) cpSync(join(fixtureChartsDir, sub), join(chart, 'charts', sub), { recursive: true });

  const render = readFileSync(join(PLATFORM_081_DIR, 'renders', `${c.name}.yaml`), 'utf8');
  for (const [source, docs] of documentsBySource(render)) {
    if (!source.startsWith('dynamo-platform/')) throw new Error(`render ${c.name}: unexpected source ${source}`);
    const file = join(chart, source.slice('dynamo-platform/'.length));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${docs.map((d) => templatize(d, c, flags)).join('\n---\n')}\n`);
  }
  return chart;
}

export type HelmMajor = 3 | 4;

export interface HelmAccess {
  kubeconfig: string;
  /** The isolated helm home of the test cluster (HELM_CONFIG_HOME and the rest). */
  helmEnv?: Record<string, string>;
  /** 3 (default) or 4. */
  helm?: HelmMajor;
}

function runHelm(access: HelmAccess, args: string[]): string {
  const bin = access.helm === 4 ? binaries.helm4 : binaries.helm3;
  const r = spawnSync(bin, [`--kubeconfig=${access.kubeconfig}`, ...args], { encoding: 'utf8', env: { ...process.env, ...access.helmEnv }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface HookJob {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: { template: { spec: { serviceAccountName?: string; initContainers?: Container[]; containers: Container[] } } };
}

export interface HookRun {
  job: string;
  container: string;
  /** What the container printed (stdout and stderr). */
  output: string;
}

/** pre-install hooks, then post-install ones; each phase by weight, then name (helm's order). */
function hookOrder(job: HookJob): [number, number, string] {
  const a = job.metadata.annotations ?? {};
  const phase = (a['helm.sh/hook'] ?? '').includes('pre-') ? 0 : 1;
  return [phase, Number(a['helm.sh/hook-weight'] ?? 0), job.metadata.name];
}

/**
 * A kubeconfig as the Job's pod has it: the service account's identity (impersonated, so the Job's own
 * Role decides what it may do) and its namespace as the default one (kubectl in a pod defaults to it).
 */
function podKubeconfig(admin: string, namespace: string, serviceAccount: string, file: string): string {
  const config = parse(readFileSync(admin, 'utf8')) as {
    'current-context': string;
    contexts: { name: string; context: { user: string; namespace?: string } }[];
    users: { name: string; user: Record<string, unknown> }[];
  };
  const context = config.contexts.find((x) => x.name === config['current-context'])!;
  context.context.namespace = namespace;
  const user = config.users.find((u) => u.name === context.context.user)!;
  user.user.as = `system:serviceaccount:${namespace}:${serviceAccount}`;
  user.user['as-groups'] = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

/**
 * What the chart's hook Jobs do, done here: on kwok nothing in a pod runs (its pod-complete stage marks
 * Job pods Succeeded), so after `helm install` the webhook certificate, the MPI SSH key and the CA bundle
 * are missing. Takes the Jobs from the release's hooks (`helm get hooks`) and runs each container's
 * command (init containers first) locally with bash, in helm's hook order (ssh-keygen, cert-gen, then
 * ca-inject): the test cluster's kubectl acting as the Job's service account, the machine's openssl and
 * ssh-keygen, the Job's env, and the absolute paths a pod has to itself (/tmp, its volumes) moved into a
 * scratch folder. Leaves what the real Jobs leave: Secrets webhook-server-cert and mpi-run-ssh-secret
 * (field manager kubectl-create) and the caBundle patched into the ValidatingWebhookConfiguration
 * (kubectl-patch). Throws, with the output, when a container fails.
 */
export function runUmbrellaHooks(opts: HelmAccess & { release: string; namespace: string; log?: (line: string) => void }): HookRun[] {
  const hooks = runHelm(opts, ['get', 'hooks', opts.release, '-n', opts.namespace]);
  const jobs = parseAllDocuments(hooks)
    .map((d) => d.toJS() as HookJob | null)
    // the Jobs an install runs (not, say, etcd's pre-upgrade check, whose Bitnami scripts are not here)
    .filter((o): o is HookJob => o?.kind === 'Job' && /\b(pre|post)-install\b/.test(o.metadata.annotations?.['helm.sh/hook'] ?? ''))
    .sort((a, b) => {
      const [x, y] = [hookOrder(a), hookOrder(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
    });
  const work = mkdtempSync(join(tmpdir(), 'dynamoctl-umbrella-hooks-'));
  const runs: HookRun[] = [];
  try {
    for (const job of jobs) {
      const pod = job.spec.template.spec;
      const namespace = job.metadata.namespace ?? opts.namespace;
      const podDir = join(work, job.metadata.name);
      const kubeconfig = podKubeconfig(opts.kubeconfig, namespace, pod.serviceAccountName ?? 'default', join(work, `${job.metadata.name}.kubeconfig`));
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        const run = runContainer(container, podDir, kubeconfig);
        runs.push({ job: job.metadata.name, container: container.name, output: run.output });
        opts.log?.(`hook ${job.metadata.name}/${container.name}: exit ${run.code}`);
        if (run.code !== 0) throw new Error(`hook Job ${job.metadata.name}, container ${container.name}, exited ${run.code}:\n${run.output}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return runs;
}

/** One container's command, its absolute paths moved under `podDir` (volumes shared by the pod, /tmp its own). */
function runContainer(container: Container, podDir: string, kubeconfig: string): { code: number | null; output: string } {
  const moves: [string, string][] = (container.volumeMounts ?? []).map((m) => [m.mountPath, join(podDir, 'volumes', m.name)]);
  moves.push(['/tmp', join(podDir, container.name, 'tmp')]);
  for (const [, to] of moves) mkdirSync(to, { recursive: true });
  const home = join(podDir, container.name, 'home');
  mkdirSync(home, { recursive: true });
  // one pass, so that a moved path (itself under the machine's /tmp) is not moved again
  const where = new Map(moves);
  const paths = new RegExp(`(?<![\\w./-])(${[...where.keys()].sort((a, b) => b.length - a.length).map(escapeRe).join('|')})(?=/|[^\\w.-]|$)`, 'gm');
  const move = (s: string): string => s.replace(paths, (path) => where.get(path)!);
  const [command, ...args] = [...(container.command ?? []), ...(container.args ?? [])].map(move);
  if (!command || !existsSync(command)) throw new Error(`container ${container.name}: cannot run ${command ?? '(no command)'} here`);
  const env: Record<string, string> = {
    PATH: `${dirname(binaries.kubectl)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    KUBECONFIG: kubeconfig,
  };
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = move(e.value);
  const r = spawnSync(command, args, { encoding: 'utf8', env, cwd: home, timeout: 360_000, maxBuffer: 16 * 1024 * 1024 });
  return { code: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}` };
}

/**
 * `helm install` of the stand-in for `caseName` as a user would have done it (`--create-namespace`, the
 * case's own values, then `sets` as `--set`, and waiting for readiness), then runUmbrellaHooks. Returns
 * the chart directory and the hook runs.
 */
export function installUmbrella(
  opts: HelmAccess & { into: string; caseName: string; release: string; namespace: string; version?: string; sets?: string[]; timeout?: string; log?: (line: string) => void },
): { chart: string; hooks: HookRun[] } {
  const chart = buildUmbrellaChart({ into: opts.into, caseName: opts.caseName, version: opts.version });
  const wait = opts.helm === 4 ? '--wait=watcher' : '--wait';
  const sets = (opts.sets ?? []).flatMap((s) => ['--set', s]);
  runHelm(opts, ['install', opts.release, chart, '-n', opts.namespace, '--create-namespace', ...upstreamCase(opts.caseName).values, ...sets, wait, '--timeout', opts.timeout ?? '5m']);
  opts.log?.(`installed ${opts.release} in ${opts.namespace} (helm ${opts.helm ?? 3})`);
  return { chart, hooks: runUmbrellaHooks(opts) };
}
