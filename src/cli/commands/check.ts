/** `dynamoctl check`: preflight checks and the operator-conflict verdict for the install the values describe. */
import { createCheckContext } from '../../checks/context.ts';
import { facts, preflightChecks } from '../../checks/preflight.ts';
import { checkExitCode, runChecks } from '../../checks/runner.ts';
import { detectConflicts } from '../../conflicts/detect.ts';
import { resolveValues } from '../../config/resolve.ts';
import { ExitCode, ReportedError } from '../../errors.ts';
import { renderManifests } from '../../render/index.ts';
import { checkPrinter } from '../../ui/checks.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../version.ts';
import { requireOutput, type GlobalOptions } from '../global-options.ts';
import { readValuesInput, type RawValuesOptions } from '../values-options.ts';
import { clusterAccess, withBundleCharts, type RawChartsOption, type RawClusterOptions } from '../cluster-options.ts';

export interface CheckOptions extends RawValuesOptions, RawClusterOptions, RawChartsOption {}

export async function runCheck(opts: CheckOptions, global: GlobalOptions): Promise<void> {
  const output = requireOutput(global, ['table', 'short', 'json']);
  const access = clusterAccess(opts, global);
  const values = await withBundleCharts(resolveValues(await readValuesInput(opts, global.namespace)), opts);
  const objects = renderManifests(values, { apiVersions: [] }, undefined, DYNAMO_PLATFORM_VERSION);
  const ctx = createCheckContext({ values, objects, ...access });
  const tty = process.stdout.isTTY === true;
  const printer = checkPrinter({ tty, color: global.color, short: output === 'short' });
  const results = await runChecks(preflightChecks, ctx, output === 'json' ? undefined : (r) => process.stdout.write(printer.result(r)));
  const code = checkExitCode(results);
  if (output === 'json') {
    const reachable = results.find((r) => r.id === 'authenticated')?.status === 'pass';
    const discovered = reachable ? await facts.operators(ctx) : undefined;
    const verdict = discovered ? detectConflicts(ctx.planned, discovered.operators) : undefined;
    const report = {
      context: reachable ? ctx.kube().context : undefined,
      planned: ctx.planned,
      verdict: verdict ? { verdict: verdict.verdict, rule: verdict.rule.id, reason: verdict.rule.reason, upgrade: verdict.upgrade, summary: verdict.summary } : undefined,
      operators: discovered?.operators.map((o) => ({ release: o.release, namespace: o.namespace, scope: o.scope, targetNamespace: o.targetNamespace, installedBy: o.installedBy, running: o.running })),
      checks: results,
      summary: { passed: results.filter((r) => r.status === 'pass').length, warnings: results.filter((r) => r.status === 'warn').length, failed: results.filter((r) => r.status === 'fail').length },
      exitCode: code,
      /** Requests sent to the API server (the scale benchmark reports it). */
      apiRequests: reachable ? ctx.kube().requests : 0,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else process.stdout.write(printer.summary(results));
  if (code !== ExitCode.ok) throw new ReportedError(code);
}
