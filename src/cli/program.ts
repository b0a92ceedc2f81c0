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
import type { CheckOptions } from './commands/check.ts';
import type { InstallCommandOptions } from './commands/install.ts';
import type { AdoptCommandOptions } from './commands/adopt.ts';
import type { StatusCommandOptions } from './commands/status.ts';
import type { UninstallCommandOptions } from './commands/uninstall.ts';
import { addChartsOption, addClusterOptions } from './cluster-options.ts';
import type { BundleOptions } from './commands/bundle.ts';
import type { WizardCommandOptions } from './commands/wizard.ts';

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

  program.commandsGroup('Install and operate:');

  const install = addValuesOptions(
    program
      .command('install')
      .description('install or upgrade the Dynamo platform: CRDs, NATS, etcd, Grove, Kai, and the operator')
      .addHelpText(
        'after',
        `
Runs the preflight checks and the conflict matrix under an install lock, shows the plan (what will be
created, updated and pruned), asks for confirmation on a terminal (--yes elsewhere), then installs the
CRDs (cluster-wide only), the subcharts through helm, and the operator with server-side apply, waits for
it, and records what it installed. Re-running with the same values changes nothing; changed values
upgrade and prune.

Examples:
  dynamoctl install --dry-run                        # checks and plan, changes nothing
  dynamoctl install -f prod.yaml --yes
  dynamoctl install --scope namespace -n team-a --yes
  dynamoctl install --skip-check gpu-nodes="GPU nodes join later" --yes`,
      ),
  );
  addChartsOption(addClusterOptions(install))
    .optionsGroup('Install:')
    .option('--dry-run', 'run the checks and print the plan; change nothing')
    .option('--fail-fast-grace <duration>', 'stop waiting when a pod cannot start or a volume claim stays Pending this long (default 20s)')
    .option('--skip-check <id=reason>', 'let a failing check through, with the reason (recorded); repeatable', (v: string, p: string[] = []) => [...p, v])
    .option('--force-conflicts', 'take over objects and fields another field manager owns (server-side apply with force); never objects of another release')
    .action(async (opts: InstallCommandOptions, command: Command) => {
      const { runInstall } = await import('./commands/install.ts');
      await runInstall(opts, globalOptions(command));
    });

  addChartsOption(
    addClusterOptions(
      program
        .command('wizard')
        .description('a guided install: asks, checks the cluster live, writes a values file and the command that repeats it')
        .option('-f, --values <file>', 'start from this values file (e.g. one an earlier wizard wrote): its answers are pre-filled')
        .addHelpText(
          'after',
          `
Asks for the context, the scope (choices the conflict matrix would block are shown disabled, with the
reason), the namespaces, the release name, the components (existing Grove and Kai are reused), the image
registry and pull secret (the password is masked and never written to a file), the storage class, and
optionally the advanced settings. Then runs the preflight checks live and shows them; it does not go on past
a failed check without an explicit choice. It always writes a values file and prints the equivalent
"dynamoctl install -f <file> --yes", then offers to run it. "dynamoctl" alone on a terminal starts it too.

Needs a terminal (use install -f elsewhere). Ctrl-C at any prompt exits 130 with nothing changed.

Examples:
  dynamoctl wizard
  dynamoctl wizard -f dynamo-values.yaml             # change an earlier answer and re-install`,
        ),
    ),
  ).action(async (opts: WizardCommandOptions, command: Command) => {
    const { runWizard } = await import('./commands/wizard.ts');
    await runWizard(opts, globalOptions(command));
  });

  const adopt = addValuesOptions(
    program
      .command('adopt')
      .description('take over a platform installed with helm install dynamo-platform (0.8.x), without restarting it')
      .addHelpText(
        'after',
        `
Reads the helm release (its chart version, the values you gave it, its objects), runs the install checks
(those about an existing operator aside: the release is that operator), shows the plan and asks
(--yes elsewhere), then, under the install lock: takes over the operator's objects in place (field
ownership moves to dynamoctl; pod templates unchanged, so the operator keeps running), reuses the webhook
certificate and MPI SSH key, removes what the chart's hooks left, hands NATS and etcd to the helm releases
<release>-nats and <release>-etcd (volumes kept, pods not restarted), removes helm's record of the umbrella
release (not its objects) and writes the install record. Values given here are layered over the release's.
Safe to re-run after an interruption: it completes what was started.

Examples:
  dynamoctl adopt --release dynamo-platform -n dynamo-system --dry-run
  dynamoctl adopt --release dynamo-platform -n dynamo-system --yes`,
      ),
  );
  addClusterOptions(adopt)
    .optionsGroup('Adopt:')
    .option('--dry-run', 'run the checks and print the plan; change nothing')
    .option('--skip-check <id=reason>', 'let a failing check through, with the reason (recorded); repeatable', (v: string, p: string[] = []) => [...p, v])
    .action(async (opts: AdoptCommandOptions, command: Command) => {
      const { runAdopt } = await import('./commands/adopt.ts');
      await runAdopt(opts, globalOptions(command));
    });

  addClusterOptions(
    program
      .command('status')
      .description('show an install against the live cluster: components, readiness, helm releases, drift')
      .option('--release <name>', 'release name', 'dynamo-platform')
      .addHelpText('after', '\nExit codes: 0 healthy, 2 no such install, 3 unhealthy, interrupted or drifted.'),
  ).action(async (opts: StatusCommandOptions, command: Command) => {
    const { runStatus } = await import('./commands/status.ts');
    await runStatus(opts, globalOptions(command));
  });

  addClusterOptions(
    program
      .command('uninstall')
      .description('remove an install: its operator, subcharts, record and namespace; with --purge also the custom resources and CRDs')
      .option('--release <name>', 'release name', 'dynamo-platform')
      .addHelpText(
        'after',
        `
Works from the install record (or, when it is gone, from the ownership labels), under the install lock:
webhooks first, then (--purge) the Dynamo custom resources while the operator still completes their
finalizers, the operator, the subchart releases, (--delete-data) the NATS and etcd volumes, (--purge,
cluster-wide, no other Dynamo operator left) the CRDs, the record, and the namespace when the install
created it and nothing else is in it. Ends with a scan for leftovers. Safe to re-run after an interruption.

Exit codes: 0 removed, 2 no such install (or installed with the Helm chart: use helm), 3 leftovers or
custom resources stuck on finalizers, 130 declined.

Examples:
  dynamoctl uninstall --dry-run                      # what would be deleted
  dynamoctl uninstall --release team-a -n team-a --yes
  dynamoctl uninstall --purge --delete-data --yes    # also custom resources, CRDs and data`,
      ),
  )
    .optionsGroup('Uninstall:')
    .option('--dry-run', 'list what would be deleted; delete nothing')
    .option('--purge', 'also delete the Dynamo custom resources and (cluster-wide, no other operator left) the CRDs')
    .option('--delete-data', 'also delete the NATS and etcd PersistentVolumeClaims')
    .option('--timeout-finalizers <duration>', 'how long deleted custom resources may wait on their finalizers', '60s')
    .option('--force-finalizers', 'remove the finalizers of custom resources still present after that (their cleanup is skipped)')
    .action(async (opts: UninstallCommandOptions, command: Command) => {
      const { runUninstall } = await import('./commands/uninstall.ts');
      await runUninstall(opts, globalOptions(command));
    });

  program.commandsGroup('Check and render:');

  const check = addValuesOptions(
    program
      .command('check')
      .description('check that the cluster is ready for the install the values describe, and that no Dynamo operator conflicts')
      .addHelpText(
        'after',
        `
Checks the connection, Kubernetes version, helm, your permissions (and that the RBAC to create is not
refused as privilege escalation), the Dynamo CRDs, storage, GPU nodes, leader election, pull secrets,
chart sources, and the operator-conflict matrix against every Dynamo operator already installed
(by dynamoctl or by the dynamo-platform Helm chart). Writes nothing.

Exit codes: 0 all passed (warnings allowed), 2 bad kubeconfig or values, 3 cluster unreachable or
credentials refused, 5 a check failed or the install would conflict.

Examples:
  dynamoctl check                                    # cluster-wide install into dynamo-system
  dynamoctl check --scope namespace -n team-a -o json
  dynamoctl check -o short                           # only warnings and failures`,
      ),
  );
  addChartsOption(addClusterOptions(check)).action(async (opts: CheckOptions, command: Command) => {
    const { runCheck } = await import('./commands/check.ts');
    await runCheck(opts, globalOptions(command));
  });

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

  program.commandsGroup('Air-gapped installs:');

  addValuesOptions(
    program
      .command('bundle')
      .description('download every chart and list every image an install needs, for a machine without internet access')
      .argument('<dir>', 'directory to write (new or empty; --force to replace a bundle there)')
      .addHelpText(
        'after',
        `
Writes <dir>/charts/*.tgz (every chart in dynamoctl.charts, through helm), <dir>/bundle.json and
<dir>/images.txt (the images to copy into your registry mirror; --registry maps them). Takes the same
values as install: the bundle holds the chart versions those values pin. Exit 4 when a chart cannot be pulled.

Examples:
  dynamoctl bundle ./dynamo-bundle
  dynamoctl bundle ./dynamo-bundle -f prod.yaml -o json`,
      ),
  )
    .optionsGroup('Bundle:')
    .option('--force', 'write into a non-empty directory, replacing an earlier bundle there')
    .option('--helm-binary <path>', 'helm to use (default: helm on PATH)')
    .action(async (dir: string, opts: BundleOptions, command: Command) => {
      const { runBundle } = await import('./commands/bundle.ts');
      await runBundle(dir, opts, globalOptions(command));
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
