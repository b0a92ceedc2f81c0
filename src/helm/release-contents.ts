/**
 * What a helm release holds besides its state, for taking it over (dynamoctl adopt):
 *   `helm get values <r> -n <ns> -o json`   the values the user gave (not the chart's defaults)
 *   `helm get manifest <r> -n <ns>`         the objects it owns, each after a `# Source: <chart>/<template>` line
 *   `helm get hooks <r> -n <ns>`            its hook objects (helm keeps no other record of them)
 * The same commands and output in helm 3 and 4. The values may hold secrets: never put in an error.
 */
import { HelmError } from '../errors.ts';
import { DEFAULT_QUERY_TIMEOUT_MS, kubeArgs, runHelm, type HelmOptions } from './helm.ts';
import { helmFailureReason } from './install.ts';

export interface ReleaseContents {
  values: Record<string, unknown>;
  manifest: string;
  hooks: string;
}

async function get(what: 'values' | 'manifest' | 'hooks', release: string, namespace: string, opts: HelmOptions): Promise<string> {
  const args = ['get', what, release, '--namespace', namespace, ...(what === 'values' ? ['-o', 'json'] : []), ...kubeArgs(opts)];
  const r = await runHelm(args, { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS });
  if (r.exitCode !== 0) throw new HelmError(`helm could not read the ${what} of release ${release} in namespace ${namespace}: ${helmFailureReason(r.stderr) || `exit code ${r.exitCode}`}`, { argv: args, stderr: r.stderr });
  return r.stdout;
}

export async function releaseContents(release: string, namespace: string, opts: HelmOptions): Promise<ReleaseContents> {
  const [values, manifest, hooks] = await Promise.all([get('values', release, namespace, opts), get('manifest', release, namespace, opts), get('hooks', release, namespace, opts)]);
  let parsed: unknown;
  try {
    // a release installed without values prints null
    parsed = JSON.parse(values.trim() || 'null');
  } catch {
    throw new HelmError(`unexpected output from helm get values ${release}: not JSON (${values.length} characters)`, { argv: ['get', 'values'], stderr: '' });
  }
  return { values: parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}, manifest, hooks };
}
