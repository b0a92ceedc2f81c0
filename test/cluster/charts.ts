/**
 * Serves our fixture charts (test/fixtures/charts) the two ways dynamoctl must support: a Helm HTTP
 * repository and an OCI registry (distribution), both on loopback. The dynamo-crds chart is assembled at
 * test time around the six real CRDs of the upstream reference data (see assembleDynamoCrdsChart).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort, waitFor, type Started } from './processes.ts';
import { binaries } from './versions.ts';
import { PLATFORM_081_DIR, upstreamAvailable } from '../helpers/upstream.ts';

export const fixtureChartsDir = fileURLToPath(new URL('../fixtures/charts/', import.meta.url));

/** The files of the six Dynamo CRDs in the upstream reference data (`crds/`), one per CRD. */
const DYNAMO_CRD_FILES = ['dynamocomponentdeployments', 'dynamographdeploymentrequests', 'dynamographdeployments', 'dynamographdeploymentscalingadapters', 'dynamomodels', 'dynamoworkermetadatas'].map(
  (plural) => `nvidia.com_${plural}.yaml`,
);

/**
 * Builds the dynamo-crds chart in `into`/dynamo-crds: our fixture (Chart.yaml, values.yaml) plus the six
 * real CRDs of dynamo-crds 0.8.1, read from ../shared/upstream at test time (they are never copied into
 * the repository) and put unchanged into templates/, where the real chart keeps them (so `helm upgrade`
 * updates them too). Without the reference data the integration tests cannot run: this throws, naming the
 * path. Returns the chart directory.
 */
export function assembleDynamoCrdsChart(into: string): string {
  const crdsDir = join(PLATFORM_081_DIR, 'crds');
  // under CI=true upstreamAvailable() itself throws
  if (!upstreamAvailable() || !existsSync(crdsDir)) {
    throw new Error(`the dynamo-crds test chart needs the real Dynamo CRDs from the upstream reference data, not found at ${crdsDir} (../shared/upstream beside the clone)`);
  }
  const missing = DYNAMO_CRD_FILES.filter((f) => !existsSync(join(crdsDir, f)));
  if (missing.length) throw new Error(`the upstream reference data at ${crdsDir} lacks ${missing.join(', ')}`);
  const chart = join(into, 'dynamo-crds');
  cpSync(join(fixtureChartsDir, 'dynamo-crds'), chart, { recursive: true });
  mkdirSync(join(chart, 'templates'), { recursive: true });
  for (const f of DYNAMO_CRD_FILES) copyFileSync(join(crdsDir, f), join(chart, 'templates', f));
  return chart;
}

export interface ChartSources {
  /** e.g. http://127.0.0.1:40123 (has index.yaml) */
  httpRepo: string;
  /** e.g. oci://127.0.0.1:40124/charts (plain HTTP: helm needs --plain-http) */
  ociRepo: string;
  /** Packaged charts, also usable as local .tgz sources. */
  packages: { name: string; version: string; file: string }[];
}

type Start = (name: string, bin: string, args: string[], env?: NodeJS.ProcessEnv) => Started;

export async function publishCharts(opts: { dir: string; helmEnv: Record<string, string>; start: Start }): Promise<ChartSources> {
  const helm = (args: string[]): string =>
    execFileSync(binaries.helm3, args, { encoding: 'utf8', env: { ...process.env, ...opts.helmEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const repoDir = join(opts.dir, 'chart-repo');
  mkdirSync(repoDir, { recursive: true });
  const packages = readdirSync(fixtureChartsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const source = e.name === 'dynamo-crds' ? assembleDynamoCrdsChart(join(opts.dir, 'assembled-charts')) : join(fixtureChartsDir, e.name);
      const out = helm(['package', source, '-d', repoDir]);
      const file = /saved it to: (.+\.tgz)/.exec(out)?.[1];
      if (!file) throw new Error(`helm package ${e.name}: unexpected output ${out}`);
      const version = file.slice(file.lastIndexOf(`${e.name}-`) + e.name.length + 1, -'.tgz'.length);
      return { name: e.name, version, file };
    });

  const [httpPort, registryPort] = await Promise.all([freePort(), freePort()]);
  const httpRepo = `http://127.0.0.1:${httpPort}`;
  helm(['repo', 'index', repoDir, '--url', httpRepo]);
  const server = opts.start('chart-repo', process.execPath, [fileURLToPath(new URL('./static-server.ts', import.meta.url)), repoDir, String(httpPort)]);
  await waitFor('the chart repository', () => httpStatus(`${httpRepo}/index.yaml`, 200), { timeoutMs: 15_000, process: server });

  const config = {
    version: 0.1,
    log: { level: 'warn' },
    storage: { filesystem: { rootdirectory: join(opts.dir, 'registry') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${registryPort}` },
  };
  const configFile = join(opts.dir, 'registry.yaml');
  writeFileSync(configFile, stringify(config));
  const registry = opts.start('registry', binaries.registry, ['serve', configFile], { OTEL_TRACES_EXPORTER: 'none' });
  await waitFor('the OCI registry', () => httpStatus(`http://127.0.0.1:${registryPort}/v2/`, 200), { timeoutMs: 15_000, process: registry });
  const ociRepo = `oci://127.0.0.1:${registryPort}/charts`;
  for (const p of packages) helm(['push', p.file, ociRepo, '--plain-http']);
  return { httpRepo, ociRepo, packages };
}

function httpStatus(url: string, expected: number): Promise<boolean> {
  return new Promise((resolve) => {
    get(url, (res) => {
      res.resume();
      resolve(res.statusCode === expected);
    }).on('error', () => resolve(false));
  });
}
