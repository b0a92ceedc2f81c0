/**
 * The command tree. Only option and help definitions live here; each action lazily imports its command
 * module, so `--help`, `--version` and completion never load client-node, chalk or helm plumbing.
 */
import { Argument, Command, Option } from 'commander';
import { DYNAMO_PLATFORM_VERSION, versionLine } from '../version.ts';
import { OUTPUT_FORMATS, globalOptions } from './global-options.ts';
import { SHELLS, completionScript, describeCommandTree, type Shell } from './completion.ts';
import { addValuesOptions } from './values-options.ts';
import type { RenderOptions } from './commands/render.ts';

const EXAMPLES = `
Examples:
  # Print the version of dynamoctl and of the Dynamo platform it installs
  dynamoctl version -o json

  # Enable shell completion for the current bash session
  source <(dynamoctl completion bash)

Exit codes: 0 ok, 1 internal error, 2 bad input, 3 cluster error, 4 helm error,
            5 conflict or failed check, 130 interrupted or declined.`;

export function buildProgram(): Command {
  const program = new Command('dynamoctl')
    .description(
      `Install, check and remove the NVIDIA Dynamo platform ${DYNAMO_PLATFORM_VERSION} on Kubernetes: the operator, ` +
        `its CRDs, and NATS, etcd, Grove and the Kai scheduler through helm.`,
    )
    .version(versionLine(), '-V, --version', 'print the dynamoctl and Dynamo platform versions')
    .helpOption('-h, --help', 'show help for a command')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText('after', EXAMPLES);

  program
    .optionsGroup('Cluster connection:')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('-n, --namespace <name>', 'namespace to work in (default depends on the command)')
    .optionsGroup('Output and behaviour:')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--no-color', 'disable colour (also off when NO_COLOR is set or output is not a terminal)')
    .option('-y, --yes', 'answer yes to confirmations (needed to change a cluster without a terminal)')
    .option('--verbose', 'print debug detail and stack traces');

  program.commandsGroup('Render and inspect:');

  addValuesOptions(
    program
      .command('render')
      .description("render the operator's manifests from values, without touching a cluster")
      .addHelpText(
        'after',
        `
Examples:
  dynamoctl render                                   # cluster-wide operator, default values
  dynamoctl render --scope namespace -n team-a       # an operator restricted to namespace team-a
  dynamoctl render -f prod.yaml --set dynamo-operator.webhook.failurePolicy=Ignore
  dynamoctl render --show-values -f prod.yaml        # the merged values (secrets redacted)
  dynamoctl render --include-secrets | kubectl apply --server-side -f -`,
      ),
  )
    .optionsGroup('Render:')
    .option('--show-values', 'print the merged values (secrets redacted) instead of manifests')
    .option('--include-secrets', 'generate and include Secret data (certificates, keys, credentials)')
    .option('--output-dir <dir>', 'write one file per object instead of printing')
    .option('-a, --api-versions <group/version>', 'APIs to assume the cluster serves (e.g. monitoring.coreos.com/v1); repeatable', (v: string, p: string[] = []) => [...p, v])
    .action(async (opts: RenderOptions, command: Command) => {
      const { runRender } = await import('./commands/render.ts');
      await runRender(opts, globalOptions(command));
    });

  program
    .command('values')
    .description('print the default values, with comments')
    .action(async (_opts, command: Command) => {
      const { runValues } = await import('./commands/values.ts');
      await runValues(globalOptions(command));
    });

  program.commandsGroup('Other commands:').helpCommand('help [command]', 'show help for a command');

  program
    .command('version')
    .description('print the dynamoctl and Dynamo platform versions')
    .action(async (_opts, command: Command) => {
      const { runVersion } = await import('./commands/version.ts');
      runVersion(globalOptions(command));
    });

  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText(
      'after',
      `
Load completions:
  bash  source <(dynamoctl completion bash)        # add to ~/.bashrc to keep it
  zsh   source <(dynamoctl completion zsh)         # add to ~/.zshrc to keep it
  fish  dynamoctl completion fish > ~/.config/fish/completions/dynamoctl.fish`,
    )
    .action((shell: Shell) => {
      process.stdout.write(completionScript(shell, describeCommandTree(program)));
    });

  return program;
}
