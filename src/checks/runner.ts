/**
 * Runs each check once, as soon as the checks it requires have finished (independent checks run at the
 * same time: helm, the API and the registries are slow in different places), skipping those whose
 * prerequisites did not pass. Results come back, and are reported, in the checks' order.
 */
import type { CheckContext } from './context.ts';
import { ExitCode } from '../errors.ts';
import type { Check, CheckResult, Outcome } from './types.ts';

export async function runChecks(checks: readonly Check[], ctx: CheckContext, onResult: (r: CheckResult) => void = () => {}): Promise<CheckResult[]> {
  const passed = new Set<string>();
  const running = new Map<string, Promise<CheckResult>>();
  const runOne = async (check: Check): Promise<CheckResult> => {
    await null; // every check is registered before any waits on another
    await Promise.all((check.requires ?? []).map((id) => running.get(id)));
    const start = performance.now();
    const blockedBy = (check.requires ?? []).find((id) => !passed.has(id));
    const outcome: Outcome = blockedBy
      ? { status: 'skip', reason: `needs "${blockedBy}"` }
      : await check.run(ctx).catch((error: unknown): Outcome => {
          const hint = (error as { hint?: string }).hint;
          return { status: 'fail', message: (error as Error).message, ...(hint ? { hint } : {}) };
        });
    const base = { id: check.id, category: check.category, severity: check.severity, description: check.description, durationMs: Math.round(performance.now() - start) };
    let result: CheckResult;
    if (outcome.status === 'pass') {
      passed.add(check.id);
      result = { ...base, status: 'pass', ...(outcome.detail ? { message: outcome.detail } : {}) };
    } else if (outcome.status === 'skip') {
      result = { ...base, status: 'skip', message: outcome.reason };
    } else {
      const warning = check.severity === 'warning' || outcome.status === 'warn';
      // a warning that fails still lets dependants run
      if (warning) passed.add(check.id);
      result = {
        ...base,
        status: warning ? 'warn' : 'fail',
        message: outcome.message,
        hint: outcome.hint ?? check.hint,
        ...(outcome.details?.length ? { details: outcome.details } : {}),
      };
    }
    return result;
  };
  for (const check of checks) running.set(check.id, runOne(check));
  const results: CheckResult[] = [];
  for (const check of checks) {
    const result = await running.get(check.id)!;
    results.push(result);
    onResult(result);
  }
  return results;
}

/** The exit code of a finished run: a bad kubeconfig is bad input, connection problems are cluster errors,
 * any other failure is a conflict or failed check; warnings alone pass. */
export function checkExitCode(results: readonly CheckResult[]): ExitCode {
  const failed = results.filter((r) => r.status === 'fail');
  // bad input, and a release helm manages (the user picked the wrong tool or release): exit 2
  if (failed.some((r) => r.id === 'kubeconfig' || r.id === 'helm-managed')) return ExitCode.user;
  if (failed.some((r) => r.severity === 'fatal')) return ExitCode.cluster;
  return failed.length ? ExitCode.conflict : ExitCode.ok;
}
