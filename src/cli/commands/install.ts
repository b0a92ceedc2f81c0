/** `dynamoctl install`: flags → InstallOptions → the pipeline; the result as a summary or JSON. */
import { resolveValues, userOverrides } from '../../config/resolve.ts';
import { UserError } from '../../errors.ts';
import { installPlatform, type InstallSummary } from '../../install/install.ts';
import { shellQuote } from '../../wizard/answers.ts';
import { preflightChecks, UNSKIPPABLE_CHECKS } from '../../checks/preflight.ts';
import { checkPrinter } from '../../ui/checks.ts';
import { createProgress } from '../../ui/progress.ts';
import type { PlanView } from '../../engine/describe.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../version.ts';
import { requireOutput, type GlobalOptions } from '../global-options.ts';
import { clusterAccess, withBundleCharts, type RawChartsOption, type RawClusterOptions } from '../cluster-options.ts';
import { readValuesInput, type RawValuesOptions } from '../values-options.ts';

export interface InstallCommandOptions extends RawValuesOptions, RawClusterOptions, RawChartsOption {
  dryRun?: boolean;
  skipCheck?: string[];
  forceConflicts?: boolean;
}

/** The confirmation question for a plan. */
export function confirmQuestion(view: PlanView, context: string): string {
  return `${view.upgrade ? 'Upgrade' : 'Install'} Dynamo platform ${DYNAMO_PLATFORM_VERSION} as ${view.release} in ${view.namespace} (context ${context})?`;
}

/** `--skip-check id=reason` → {id, reason}; every id must name a check and carry a reason. */
export function parseSkipChecks(raw: readonly string[]): { id: string; reason: string }[] {
  const ids = preflightChecks.map((c) => c.id);
  return raw.map((entry) => {
    const eq = entry.indexOf('=');
    const id = eq === -1 ? entry : entry.slice(0, eq);
    const reason = eq === -1 ? '' : entry.slice(eq + 1).trim();
    if (!ids.includes(id)) throw new UserError(`--skip-check ${id}: no such check`, { hint: `checks: ${ids.join(', ')}` });
    if (!reason) throw new UserError(`--skip-check ${id}: a reason is required (it is recorded)`, { hint: `--skip-check ${id}="why it is safe here"` });
    if (UNSKIPPABLE_CHECKS.includes(id)) {
      throw new UserError(`--skip-check ${id}: this check cannot be skipped`, { hint: 'resolve what it reports instead' });
    }
    return { id, reason };
  });
}

export async function runInstall(opts: InstallCommandOptions, global: GlobalOptions): Promise<void> {
  const output = requireOutput(global, ['table', 'json']);
  const skipChecks = parseSkipChecks(opts.skipCheck ?? []);
  const input = await readValuesInput(opts, global.namespace);
  const values = await withBundleCharts(resolveValues(input), opts);
  const tty = process.stderr.isTTY === true && output !== 'json';
  const progress = createProgress({ mode: output === 'json' ? 'json' : tty ? 'tty' : 'plain', color: global.color, yes: global.yes });
  const printer = checkPrinter({ tty, color: global.color });
  const summary = await installPlatform({
    values,
    overrides: userOverrides(input),
    ...clusterAccess(opts, global),
    emit: progress.emit,
    confirm: (view, context) => progress.confirm(confirmQuestion(view, context)),
    dryRun: opts.dryRun === true,
    forceConflicts: opts.forceConflicts === true,
    skipChecks,
    reportChecks: (failed) => {
      for (const r of failed) process.stderr.write(printer.result(r));
    },
  });
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify({ event: 'result', dryRun: opts.dryRun === true, release: summary.release, namespace: summary.namespace, scope: summary.scope, upgrade: summary.upgrade, plan: summary.plan, record: summary.record })}\n`);
  } else for (const line of installedLines(summary, opts.dryRun === true)) progress.info(line);
}

/** The closing lines of an install for people (install and the wizard). */
export function installedLines(summary: InstallSummary, dryRun: boolean, context?: string): string[] {
  const verb = dryRun ? 'Would install' : summary.upgrade ? 'Upgraded' : 'Installed';
  return [
    `\n${verb} Dynamo platform as release ${summary.release} in ${summary.namespace} (${summary.scope === 'cluster' ? 'cluster-wide' : 'namespace-restricted'}).`,
    ...(dryRun ? [] : [`Check it with: dynamoctl status --release ${summary.release} -n ${summary.namespace}${context ? ` --context ${shellQuote(context)}` : ''}`]),
  ];
}
