/** `dynamoctl adopt`: flags → AdoptOptions → the recipe; the result as a summary or JSON. */
import { adoptRelease } from '../../adopt/adopt.ts';
import { checkPrinter } from '../../ui/checks.ts';
import { parseSkipChecks } from './install.ts';
import { createProgress } from '../../ui/progress.ts';
import { requireOutput, type GlobalOptions } from '../global-options.ts';
import { clusterAccess, type RawClusterOptions } from '../cluster-options.ts';
import { readValuesInput, type RawValuesOptions } from '../values-options.ts';

export interface AdoptCommandOptions extends RawValuesOptions, RawClusterOptions {
  dryRun?: boolean;
  skipCheck?: string[];
}

export async function runAdopt(opts: AdoptCommandOptions, global: GlobalOptions): Promise<void> {
  const output = requireOutput(global, ['table', 'json']);
  const release = opts.release ?? 'dynamo-platform';
  const namespace = global.namespace ?? 'dynamo-system';
  const input = await readValuesInput(opts, namespace);
  const tty = process.stderr.isTTY === true && output !== 'json';
  const progress = createProgress({ mode: output === 'json' ? 'json' : tty ? 'tty' : 'plain', color: global.color, yes: global.yes });
  const printer = checkPrinter({ tty, color: global.color });
  const summary = await adoptRelease({
    release,
    namespace,
    input,
    ...clusterAccess(opts, global),
    emit: progress.emit,
    confirm: (view, context) => progress.confirm(`Take over helm release ${view.release} in ${view.namespace} (context ${context}) as a dynamoctl install?`),
    dryRun: opts.dryRun === true,
    skipChecks: parseSkipChecks(opts.skipCheck ?? []),
    reportChecks: (failed) => {
      for (const r of failed) process.stderr.write(printer.result(r));
    },
  });
  if (summary.outcome === 'already') {
    const line = `helm release ${release} in ${namespace} was adopted already (${summary.from.chart} ${summary.from.version}, finished ${summary.from.finishedAt ?? 'now'}): nothing to do`;
    if (output === 'json') process.stdout.write(`${JSON.stringify({ event: 'result', outcome: 'already', release, namespace, from: { chart: summary.from.chart, version: summary.from.version, finishedAt: summary.from.finishedAt } })}\n`);
    else progress.info(line);
    return;
  }
  if (output === 'json') {
    process.stdout.write(
      `${JSON.stringify({ event: 'result', outcome: 'adopted', dryRun: opts.dryRun === true, release: summary.release, namespace: summary.namespace, scope: summary.scope, from: { chart: summary.from.chart, version: summary.from.version }, restarts: summary.restarts, plan: summary.plan, record: summary.record })}\n`,
    );
    return;
  }
  const lines = opts.dryRun
    ? [`\nWould take over helm release ${release} (${summary.from.chart} ${summary.from.version}) in ${namespace}; nothing was changed.`]
    : [
        `\nRelease ${release} in ${namespace} is now a dynamoctl install (${summary.scope === 'cluster' ? 'cluster-wide' : 'namespace-restricted'}); NATS and etcd are helm releases ${release}-nats and ${release}-etcd.`,
        `Check it with: dynamoctl status --release ${release} -n ${namespace}`,
      ];
  for (const line of lines) progress.info(line);
}
