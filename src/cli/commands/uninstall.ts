/** `dynamoctl uninstall`: flags → UninstallOptions → the pipeline; the result as a summary or a JSON line. */
import { parseDuration } from '../../config/duration.ts';
import { ClusterError, UserError } from '../../errors.ts';
import { uninstallPlatform } from '../../install/uninstall.ts';
import { formatLeftovers } from '../../install/uninstall-plan.ts';
import { createProgress } from '../../ui/progress.ts';
import { requireOutput, type GlobalOptions } from '../global-options.ts';
import { clusterAccess, type RawClusterOptions } from '../cluster-options.ts';

export interface UninstallCommandOptions extends RawClusterOptions {
  release?: string;
  dryRun?: boolean;
  purge?: boolean;
  deleteData?: boolean;
  forceFinalizers?: boolean;
  timeoutFinalizers?: string;
}

/** --timeout-finalizers: a positive duration (default 60s). */
export function parseFinalizerTimeout(text = '60s'): number {
  const ms = parseDuration(text);
  if (!ms) throw new UserError(`--timeout-finalizers ${text}: not a positive duration`, { hint: 'use e.g. 60s, 2m or 500ms' });
  return ms;
}

export async function runUninstall(opts: UninstallCommandOptions, global: GlobalOptions): Promise<void> {
  const output = requireOutput(global, ['table', 'json']);
  const finalizerTimeoutMs = parseFinalizerTimeout(opts.timeoutFinalizers);
  const tty = process.stderr.isTTY === true && output !== 'json';
  const mode = output === 'json' ? 'json' : tty ? 'tty' : 'plain';
  const progress = createProgress({ mode, color: global.color, yes: global.yes });
  // removing finalizers needs its own consent: --yes does not give it
  const ask = createProgress({ mode, color: global.color, yes: false });
  const summary = await uninstallPlatform({
    release: opts.release ?? 'dynamo-platform',
    namespace: global.namespace ?? 'dynamo-system',
    ...clusterAccess(opts, global),
    emit: progress.emit,
    confirm: (question) => progress.confirm(question),
    dryRun: opts.dryRun === true,
    purge: opts.purge === true,
    deleteData: opts.deleteData === true,
    finalizerTimeoutMs,
    forceFinalizers: opts.forceFinalizers === true,
    askFinalizers: (question) => (tty ? ask.confirm(question) : Promise.resolve(false)),
  });
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify({ event: 'result', ...summary })}\n`);
  } else if (summary.dryRun) {
    progress.info(`\nWould uninstall release ${summary.release} from ${summary.namespace}; nothing was changed.`);
  } else if (!summary.leftovers.length) {
    progress.info(`\nUninstalled release ${summary.release} from ${summary.namespace}; nothing of it is left.`);
  }
  if (summary.leftovers.length) {
    if (output !== 'json') progress.info(formatLeftovers(summary.leftovers).join('\n'));
    throw new ClusterError(`the uninstall of ${summary.release} from ${summary.namespace} left ${summary.leftovers.length} thing${summary.leftovers.length === 1 ? '' : 's'} behind`, {
      hint: `remove them with the commands above (${summary.leftovers[0]!.command}${summary.leftovers.length > 1 ? ', …' : ''}), or re-run the uninstall`,
    });
  }
}
