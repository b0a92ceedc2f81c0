import type { Command } from 'commander';
import { UserError } from '../errors.ts';

/** Output formats; a command accepts the subset it can produce. */
/** `short` prints only what needs attention (check). */
export const OUTPUT_FORMATS = ['table', 'short', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The kubectl/helm-style options every command accepts, resolved once. */
export interface GlobalOptions {
  /** --kubeconfig; undefined means $KUBECONFIG, then ~/.kube/config. */
  kubeconfig: string | undefined;
  /** --context; undefined means the kubeconfig's current context. */
  context: string | undefined;
  /** -n/--namespace; undefined means the command's own default. */
  namespace: string | undefined;
  output: OutputFormat;
  /** false with --no-color, NO_COLOR set (any value), or when stdout is not a terminal. */
  color: boolean;
  /** -y/--yes: answer confirmations with yes. */
  yes: boolean;
  verbose: boolean;
}

interface RawGlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  output?: OutputFormat;
  color?: boolean;
  yes?: boolean;
  verbose?: boolean;
}

/** Reads the global options as seen from any (sub)command. */
export function globalOptions(command: Command, env: NodeJS.ProcessEnv = process.env, isTty = process.stdout.isTTY === true): GlobalOptions {
  const raw = command.optsWithGlobals<RawGlobalOptions>();
  return {
    kubeconfig: raw.kubeconfig,
    context: raw.context,
    namespace: raw.namespace,
    output: raw.output ?? 'table',
    color: raw.color !== false && !('NO_COLOR' in env && env.NO_COLOR !== '') && isTty,
    yes: raw.yes === true,
    verbose: raw.verbose === true,
  };
}

/** Refuses an output format the command cannot produce, naming the ones it can. */
export function requireOutput<F extends OutputFormat>(opts: GlobalOptions, supported: readonly F[]): F {
  if ((supported as readonly OutputFormat[]).includes(opts.output)) return opts.output as F;
  throw new UserError(`this command cannot print -o ${opts.output}`, { hint: `use -o ${supported.join(' or -o ')}` });
}
