/**
 * `dynamoctl bundle <dir>`: everything an air-gapped install needs from the internet, in one directory
 * (layout in src/config/bundle.ts): every chart of `dynamoctl.charts` pulled through helm into `charts/`,
 * `bundle.json`, and `images.txt` (the images to mirror). The charts are fetched into a staging folder inside
 * `<dir>` and moved into place only when all of them arrived, so a failed run leaves no half bundle.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  BUNDLE_CHARTS_DIR,
  BUNDLE_IMAGES_FILE,
  BUNDLE_MANIFEST_FILE,
  CHART_KEYS,
  bundleManifest,
  imagesText,
  parseBundleManifest,
} from '../../config/bundle.ts';
import { resolveValues } from '../../config/resolve.ts';
import type { ChartKey, Values } from '../../config/values-schema.ts';
import { SUBCHART_KEYS } from '../../components/table.ts';
import { subchartPulls } from '../../checks/images.ts';
import { UserError } from '../../errors.ts';
import type { HelmOptions } from '../../helm/helm.ts';
import { ChartPullError, pullChart, type PulledChart } from '../../helm/pull.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../version.ts';
import { requireOutput, type GlobalOptions } from '../global-options.ts';
import { readValuesInput, type RawValuesOptions } from '../values-options.ts';

export interface BundleOptions extends RawValuesOptions {
  helmBinary?: string;
  force?: boolean;
}

const errno = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

/** Refuses a file, or a non-empty directory without --force. Returns whether the directory had to be created. */
function prepareDir(dir: string, force: boolean): boolean {
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new UserError(`${dir}: cannot create the bundle directory (${errno(error)})`, { hint: 'choose a writable location' });
    }
    return true;
  }
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir} exists and is not a directory`, { hint: 'choose a new or empty directory for the bundle' });
  if (readdirSync(dir).length && !force) {
    throw new UserError(`${dir} is not empty`, { hint: 'choose a new or empty directory, or pass --force to replace a bundle there' });
  }
  return false;
}

/** With --force: the chart files an earlier bundle in `dir` listed (and only those) go, so none linger. */
function removeEarlierBundle(dir: string): void {
  const manifest = join(dir, BUNDLE_MANIFEST_FILE);
  if (!existsSync(manifest)) return;
  try {
    const earlier = parseBundleManifest(JSON.parse(readFileSync(manifest, 'utf8')), manifest);
    for (const key of CHART_KEYS) rmSync(join(dir, ...earlier.charts[key].file.split('/')), { force: true });
  } catch {
    // not a bundle we can read: leave its files alone, ours overwrite what they share a name with
  }
}

export async function runBundle(dirArg: string, opts: BundleOptions, global: GlobalOptions): Promise<void> {
  const output = requireOutput(global, ['table', 'json']);
  const values = resolveValues(await readValuesInput(opts, global.namespace));
  const dir = resolve(dirArg);
  const created = prepareDir(dir, opts.force === true);
  const helm: HelmOptions = opts.helmBinary ? { binary: opts.helmBinary } : {};
  const staging = mkdtempSync(join(dir, '.dynamoctl-bundle-'));
  try {
    process.stderr.write(`pulling ${CHART_KEYS.length} charts into ${join(dir, BUNDLE_CHARTS_DIR)}\n`);
    // one at a time: charts from one repository share helm's cached index, and the first failure stops the run
    const pulled = {} as Record<ChartKey, PulledChart>;
    for (const key of CHART_KEYS) {
      try {
        pulled[key] = await pullChart(values.dynamoctl.charts[key], staging, helm);
      } catch (error) {
        throw withChartHint(error, key);
      }
    }

    process.stderr.write('rendering the subcharts to list their images\n');
    const images = await subchartImages(values, pulled, helm);
    const manifest = bundleManifest(
      values,
      DYNAMO_PLATFORM_VERSION,
      Object.fromEntries(CHART_KEYS.map((key) => [key, { name: pulled[key].chart.name, version: pulled[key].chart.version, fileName: basename(pulled[key].file) }])) as Record<
        ChartKey,
        { name: string; version: string; fileName: string }
      >,
      images,
    );
    if (opts.force) removeEarlierBundle(dir);
    const chartsDir = join(dir, BUNDLE_CHARTS_DIR);
    mkdirSync(chartsDir, { recursive: true });
    for (const key of CHART_KEYS) renameSync(pulled[key].file, join(chartsDir, basename(pulled[key].file)));
    const json = `${JSON.stringify(manifest, null, 2)}\n`;
    writeFileSync(join(dir, BUNDLE_IMAGES_FILE), imagesText(manifest.images, values.dynamoctl.registry));
    writeFileSync(join(dir, BUNDLE_MANIFEST_FILE), json);

    for (const key of CHART_KEYS) process.stderr.write(`  ${key.padEnd(14)} ${manifest.charts[key].name} ${manifest.charts[key].version}  ${manifest.charts[key].file}\n`);
    process.stderr.write(
      `bundle: ${CHART_KEYS.length} charts and ${manifest.images.length} images (listed in ${BUNDLE_IMAGES_FILE}) in ${dir}\n` +
        `next: copy the images into your registry mirror, then install with --charts ${dir} --registry <mirror>\n`,
    );
    process.stdout.write(output === 'json' ? json : `${dir}\n`);
  } catch (error) {
    // a directory this run created holds only this run's files
    if (created) rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The images of every subchart (enabled or not), as each pulled chart renders them with the install's values
 * before --registry, hooks included, plus those its operator starts at run time.
 */
async function subchartImages(values: Values, pulled: Record<ChartKey, PulledChart>, helm: HelmOptions): Promise<string[]> {
  const source: Values = { ...values, dynamoctl: { ...values.dynamoctl, registry: '' } };
  const lists = await Promise.all(SUBCHART_KEYS.map((key) => subchartPulls(source, key, pulled[key].file, pulled[key].chart.version, helm)));
  return lists.flat().map((p) => p.image);
}

/** A chart source failure, with where to fix it in the values (helm that cannot run keeps its own hint). */
function withChartHint(error: unknown, key: ChartKey): unknown {
  if (!(error instanceof ChartPullError)) return error;
  return new ChartPullError(error.message, {
    argv: error.argv,
    stderr: error.stderr,
    hint: `fix dynamoctl.charts.${key} (repo, version, plainHttp or path) in your values; \`dynamoctl check\` tests every chart source`,
    cause: error,
  });
}
