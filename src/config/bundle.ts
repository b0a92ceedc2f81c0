/**
 * The air-gapped bundle, purely: its manifest format, the images an install may pull, and the values that
 * make an install read its charts from a bundle directory. `dynamoctl bundle` (src/cli/commands/bundle.ts)
 * does the I/O.
 *
 * A bundle directory:
 *   bundle.json   the manifest (BundleManifest): platform version, one packaged chart per chart key, the images
 *   charts/       <chart>-<version>.tgz for every chart in `dynamoctl.charts`
 *   images.txt    the images to mirror, one per line, after a comment header
 *
 * Images: a bundle lists every image of every pinned component, whatever the values enable. A bundle is
 * built once and carried across the gap; it must still serve a later `--grove` or `--kai` (or `--no-etcd`
 * then `--etcd`) without a second trip. So `bundleImages` ignores the `enabled` flags: it lists the operator,
 * kube-rbac-proxy, the debugger image the operator hands to its components, and the images of every
 * subchart as `dynamoctl bundle` finds them: rendered from the pulled chart with the install's values (hooks
 * included), plus the images its operator starts at run time (components table). Not listed: the operator
 * chart's certificate-generator and SSH-keygen Job images, because dynamoctl generates that material itself
 * and runs no such Job. Images are listed as the values name them (before `--registry`); the mirror path of
 * each is `rewriteRegistry(image, registry)`.
 */
import { isAbsolute, join } from 'node:path';
import { UserError } from '../errors.ts';
import { rewriteRegistry } from './images.ts';
import type { ChartKey, ChartSource, Values } from './values-schema.ts';

export const BUNDLE_API_VERSION = 'dynamoctl.nvidia.com/v1';
export const BUNDLE_KIND = 'Bundle';
/** File and folder names inside a bundle directory. */
export const BUNDLE_MANIFEST_FILE = 'bundle.json';
export const BUNDLE_CHARTS_DIR = 'charts';
export const BUNDLE_IMAGES_FILE = 'images.txt';

/** Every chart an install may use, in install order (CRDs first). */
export const CHART_KEYS: readonly ChartKey[] = ['dynamo-crds', 'nats', 'etcd', 'grove', 'kai-scheduler'];

export interface BundleChart {
  /** The chart's name (Chart.yaml). */
  name: string;
  /** The chart's version (Chart.yaml). */
  version: string;
  /** The packaged chart, relative to the bundle directory, with '/' separators: "charts/nats-1.3.2.tgz". */
  file: string;
}

export interface BundleManifest {
  apiVersion: typeof BUNDLE_API_VERSION;
  kind: typeof BUNDLE_KIND;
  /** The Dynamo platform version of the dynamoctl that built the bundle. */
  platformVersion: string;
  charts: Record<ChartKey, BundleChart>;
  /** Sorted, unique image references (see the module header). */
  images: string[];
}

const withTag = (repository: string, tag: string): string => `${repository}:${tag}`;

/**
 * Every image an install with these values may pull, whatever is enabled (see the module header): sorted,
 * unique. The operator and kube-rbac-proxy tags default to the platform version, as in render;
 * `subchartImages` are those found by rendering the subcharts.
 */
export function bundleImages(values: Values, platformVersion: string, subchartImages: readonly string[]): string[] {
  const cm = values['dynamo-operator'].controllerManager;
  const images = [
    withTag(cm.manager.image.repository, cm.manager.image.tag || platformVersion),
    withTag(cm.kubeRbacProxy.image.repository, cm.kubeRbacProxy.image.tag || platformVersion),
    values['dynamo-operator'].dynamo.internalImages.debugger,
    ...subchartImages,
  ];
  return [...new Set(images)].sort();
}

/** The manifest for charts fetched into `charts/` (file names only) and the values' images. */
export function bundleManifest(
  values: Values,
  platformVersion: string,
  charts: Record<ChartKey, { name: string; version: string; fileName: string }>,
  subchartImages: readonly string[],
): BundleManifest {
  return {
    apiVersion: BUNDLE_API_VERSION,
    kind: BUNDLE_KIND,
    platformVersion,
    charts: Object.fromEntries(
      CHART_KEYS.map((key) => [key, { name: charts[key].name, version: charts[key].version, file: `${BUNDLE_CHARTS_DIR}/${charts[key].fileName}` }]),
    ) as Record<ChartKey, BundleChart>,
    images: bundleImages(values, platformVersion, subchartImages),
  };
}

/** images.txt: a comment header explaining the mirror layout, then one image per line. */
export function imagesText(images: readonly string[], registry: string): string {
  const mirror = registry || '<mirror>';
  const example = images.find((i) => i.startsWith('nvcr.io/')) ?? images[0] ?? 'nvcr.io/nvidia/ai-dynamo/kubernetes-operator:<tag>';
  const header = [
    '# Images a Dynamo platform install may pull (every component, enabled or not), one per line.',
    '# Copy each into your registry mirror, then install with --registry <mirror>. The mirror path keeps the',
    "# repository path and drops the source registry host (the same rule as --registry, dynamoctl's rewriteRegistry):",
    `#   ${example}  ->  ${rewriteRegistry(example, mirror)}`,
    `#   nats:2.10.21-alpine  ->  ${rewriteRegistry('nats:2.10.21-alpine', mirror)}`,
  ];
  return `${[...header, ...images].join('\n')}\n`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed bundle.json (`source` names it in messages). Throws UserError listing every problem. Chart
 * files must stay inside the bundle: relative, no "..".
 */
export function parseBundleManifest(doc: unknown, source: string): BundleManifest {
  const problems: string[] = [];
  if (!isRecord(doc)) throw new UserError(`${source}: not a dynamoctl bundle manifest (expected a JSON object)`, { hint: 'point at a directory written by `dynamoctl bundle`' });
  if (doc.apiVersion !== BUNDLE_API_VERSION || doc.kind !== BUNDLE_KIND) {
    problems.push(`apiVersion/kind: expected ${BUNDLE_API_VERSION} ${BUNDLE_KIND}, got ${JSON.stringify(doc.apiVersion)} ${JSON.stringify(doc.kind)}`);
  }
  if (typeof doc.platformVersion !== 'string' || doc.platformVersion === '') problems.push('platformVersion: expected a non-empty string');
  const charts = isRecord(doc.charts) ? doc.charts : undefined;
  if (!charts) problems.push('charts: expected an object');
  for (const key of charts ? CHART_KEYS : []) {
    const c = charts![key];
    if (!isRecord(c)) {
      problems.push(`charts.${key}: missing`);
      continue;
    }
    for (const field of ['name', 'version', 'file'] as const) {
      if (typeof c[field] !== 'string' || c[field] === '') problems.push(`charts.${key}.${field}: expected a non-empty string`);
    }
    if (typeof c.file === 'string' && (isAbsolute(c.file) || c.file.startsWith('/') || c.file.split(/[\\/]/).includes('..'))) {
      problems.push(`charts.${key}.file: must be a path inside the bundle, got ${JSON.stringify(c.file)}`);
    }
  }
  if (!Array.isArray(doc.images) || !doc.images.every((i) => typeof i === 'string')) problems.push('images: expected a list of strings');
  if (problems.length) {
    throw new UserError(`${source}: not a valid dynamoctl bundle manifest: ${problems.join('; ')}`, { hint: 'rebuild the bundle with `dynamoctl bundle <dir> --force`' });
  }
  return doc as unknown as BundleManifest;
}

/** helm reads a pinned "v1.2.3" as the version 1.2.3: compare versions the same way. */
const sameVersion = (a: string, b: string): boolean => a.replace(/^v(?=\d)/, '') === b.replace(/^v(?=\d)/, '');

/**
 * The values with every `dynamoctl.charts.<key>` reading the bundle's file (`path`, absolute: `dir` must be
 * absolute) and carrying the file's own version, so `install --charts <dir>` installs exactly what the bundle
 * holds. Throws one UserError listing every chart whose pinned name or version differs from the bundle's: the
 * values and the bundle disagree about what to install.
 */
export function valuesWithBundle(values: Values, bundle: BundleManifest, dir: string): Values {
  if (!isAbsolute(dir)) throw new Error(`valuesWithBundle needs an absolute bundle directory, got ${dir}`);
  const problems: string[] = [];
  const charts = {} as Record<ChartKey, ChartSource>;
  for (const key of CHART_KEYS) {
    const pinned = values.dynamoctl.charts[key];
    const held = bundle.charts[key];
    if (held.name !== pinned.name) problems.push(`bundle has chart ${held.name} for ${key}, values name ${pinned.name}`);
    else if (pinned.version !== '' && !sameVersion(held.version, pinned.version)) problems.push(`bundle has ${key} ${held.version}, values pin ${pinned.version}`);
    charts[key] = { ...pinned, version: held.version, path: join(dir, ...held.file.split('/')) };
  }
  if (problems.length) {
    throw new UserError(`the bundle in ${dir} does not match the values: ${problems.join('; ')}: rebuild the bundle`, {
      hint: `run \`dynamoctl bundle <dir> --force\` with the same values (-f/--set) you install with`,
    });
  }
  return { ...values, dynamoctl: { ...values.dynamoctl, charts } };
}
