/**
 * `helm template` of a chart with values (no cluster): what the chart would create, so dynamoctl can read
 * the images it really renders instead of keeping a list by hand. The chart is a pulled file, or a chart
 * source as install reads it (repository, OCI reference or path). Values go through a private temporary
 * file, as for installs.
 */
import type { ChartSource } from '../config/values-schema.ts';
import { HelmError } from '../errors.ts';
import { chartLocation } from './chart-source.ts';
import { DEFAULT_QUERY_TIMEOUT_MS, runHelm, type HelmOptions } from './helm.ts';
import { absolute, chartArgs, helmFailureReason, withValuesFile } from './install.ts';

export async function templateChart(chart: string | ChartSource, spec: { release: string; namespace: string; values: Record<string, unknown> }, opts: HelmOptions): Promise<string> {
  const chartArgv = argsOf(chart);
  const what = typeof chart === 'string' ? chart : `chart ${chart.name}`;
  return withValuesFile(spec.values, async (file) => {
    const args = ['template', spec.release, ...chartArgv, '--namespace', spec.namespace, '-f', file];
    const result = await runHelm(args, { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS });
    if (result.exitCode !== 0) {
      throw new HelmError(`helm could not render ${what} as ${spec.release}: ${helmFailureReason(result.stderr)}`, { argv: args, stderr: result.stderr });
    }
    return result.stdout;
  });
}

function argsOf(chart: string | ChartSource): string[] {
  if (typeof chart === 'string') return [chart];
  const location = chartLocation(chart);
  if (!location) throw new HelmError(`chart ${chart.name} has neither a path nor an http(s):// or oci:// repo`, { argv: [], stderr: '' });
  return chartArgs(chart, absolute(location));
}
