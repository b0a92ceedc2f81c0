/**
 * `helm template` of a chart file with values (no cluster): what the chart would create, so dynamoctl can read
 * the images it really renders instead of keeping a list by hand. Values go through a private temporary file,
 * as for installs.
 */
import { HelmError } from '../errors.ts';
import { DEFAULT_QUERY_TIMEOUT_MS, runHelm, type HelmOptions } from './helm.ts';
import { helmFailureReason, withValuesFile } from './install.ts';

export async function templateChart(chartFile: string, spec: { release: string; namespace: string; values: Record<string, unknown> }, opts: HelmOptions): Promise<string> {
  return withValuesFile(spec.values, async (file) => {
    const args = ['template', spec.release, chartFile, '--namespace', spec.namespace, '-f', file];
    const result = await runHelm(args, { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS });
    if (result.exitCode !== 0) {
      throw new HelmError(`helm could not render ${chartFile} as ${spec.release}: ${helmFailureReason(result.stderr)}`, { argv: args, stderr: result.stderr });
    }
    return result.stdout;
  });
}
