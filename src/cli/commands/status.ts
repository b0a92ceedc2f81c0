/** `dynamoctl status`: the install record against the live cluster. */
import { Kube } from '../../cluster/client.ts';
import { ExitCode, ReportedError } from '../../errors.ts';
import { requireOutput, type GlobalOptions } from '../global-options.ts';
import { clusterAccess, type RawClusterOptions } from '../cluster-options.ts';
import { readDefaults } from '../values-options.ts';

export interface StatusCommandOptions extends RawClusterOptions {
  release?: string;
}

export async function runStatus(opts: StatusCommandOptions, global: GlobalOptions): Promise<void> {
  const output = requireOutput(global, ['table', 'json']);
  const access = clusterAccess(opts, global);
  const kube = Kube.load(access.target);
  // the first request before the engine is loaded: a closed port or a wrong host is said at once
  await kube.request('GET', '/version');
  const [{ platformStatus }, { helmApi }] = await Promise.all([import('../../install/status.ts'), import('../../helm/api.ts')]);
  const status = await platformStatus(kube, helmApi(access.helm), {
    release: opts.release ?? 'dynamo-platform',
    namespace: global.namespace ?? 'dynamo-system',
    defaults: await readDefaults(),
  });
  if (output === 'json') process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else {
    const mark = (ok: boolean): string => (ok ? 'ok  ' : 'FAIL');
    const lines = [
      `Release ${status.release} in ${status.namespace}: Dynamo platform ${status.platformVersion}, ${status.scope === 'cluster' ? 'cluster-wide' : `restricted to ${status.targetNamespace}`}, ${status.phase}`,
      ...status.components.map((c) => `  [${mark(c.healthy)}] ${c.name.padEnd(14)} ${c.version.padEnd(16)} ${c.detail}`),
      `  [${mark(!status.drift.missing.length && !status.drift.changed.length)}] drift          ${status.drift.missing.length} missing, ${status.drift.changed.length} changed`,
      ...[...status.drift.missing.map((m) => `        missing: ${m}`), ...status.drift.changed.map((m) => `        changed: ${m}`)],
      status.healthy ? 'Healthy.' : `Unhealthy.\n${status.advice.map((a) => `  - ${a}`).join('\n')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (!status.healthy) throw new ReportedError(ExitCode.cluster);
}
