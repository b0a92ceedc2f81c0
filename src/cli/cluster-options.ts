/** The flags of commands that talk to a cluster and run helm, resolved into connection settings. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BUNDLE_MANIFEST_FILE, parseBundleManifest, valuesWithBundle } from '../config/bundle.ts';
import type { Values } from '../config/values-schema.ts';
import type { KubeTarget } from '../cluster/client.ts';
import { parseDuration } from '../config/duration.ts';
import { UserError } from '../errors.ts';
import type { HelmOptions } from '../helm/helm.ts';
import type { GlobalOptions } from './global-options.ts';

export interface RawClusterOptions {
  timeout?: string;
  helmBinary?: string;
}

export interface RawChartsOption {
  charts?: string;
}

/** --charts <dir>: charts from a `dynamoctl bundle` directory instead of their repositories (air-gapped). */
export function addChartsOption(command: Command): Command {
  return command.option('--charts <dir>', 'take every chart from this dynamoctl bundle directory (no chart repository needed)');
}

/** Points every chart source at the bundle's files when --charts is given. */
export async function withBundleCharts(values: Values, raw: RawChartsOption): Promise<Values> {
  if (!raw.charts) return values;
  const dir = resolve(raw.charts);
  const file = join(dir, BUNDLE_MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`--charts ${raw.charts}: no ${BUNDLE_MANIFEST_FILE} there`, { hint: 'point at a directory written by dynamoctl bundle' });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UserError(`${file}: not valid JSON`, { hint: 'rebuild the bundle with dynamoctl bundle' });
  }
  return valuesWithBundle(values, parseBundleManifest(doc, file), dir);
}

export function addClusterOptions(command: Command): Command {
  return command
    .optionsGroup('Cluster access:')
    .option('--timeout <duration>', 'time limit per API request', '10s')
    .option('--helm-binary <path>', 'helm to use (default: $DYNAMOCTL_HELM, then helm on PATH)');
}

export function clusterAccess(raw: RawClusterOptions, global: GlobalOptions): { target: KubeTarget; helm: HelmOptions } {
  const text = raw.timeout ?? '10s';
  const timeoutMs = parseDuration(text);
  if (!timeoutMs) throw new UserError(`--timeout ${text}: not a positive duration`, { hint: 'use e.g. 10s, 500ms or 1m' });
  return {
    target: { kubeconfig: global.kubeconfig, context: global.context, timeoutMs },
    helm: {
      ...(raw.helmBinary ? { binary: raw.helmBinary } : {}),
      ...(global.kubeconfig ? { kubeconfig: global.kubeconfig } : {}),
      ...(global.context ? { context: global.context } : {}),
    },
  };
}
