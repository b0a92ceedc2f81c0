/**
 * `dynamoctl wizard`: ask (ui/wizard.ts) → values (wizard/answers.ts) → live preflight → values file and
 * the equivalent command line → optionally the install itself. Nothing in the cluster changes before the
 * user says "install"; Ctrl-C at any prompt exits 130.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createCheckContext } from '../../checks/context.ts';
import { preflightChecks, UNSKIPPABLE_CHECKS } from '../../checks/preflight.ts';
import { COMPONENTS } from '../../components/table.ts';
import { runChecks } from '../../checks/runner.ts';
import type { CheckResult } from '../../checks/types.ts';
import { Kube, unlessForbidden } from '../../cluster/client.ts';
import { discoverOperators, dockerRegistrySecrets, findOperatorDeployment, storageClasses } from '../../cluster/discovery.ts';
import { resolveValues } from '../../config/resolve.ts';
import { parseValuesFile, valuesToYaml } from '../../config/values-file.ts';
import type { Values } from '../../config/values-schema.ts';
import { InterruptedError, UserError } from '../../errors.ts';
import { installPlatform } from '../../install/install.ts';
import { renderManifests } from '../../render/index.ts';
import { checkPrinter } from '../../ui/checks.ts';
import { createProgress } from '../../ui/progress.ts';
import { askAfterFailedChecks, askAnswers, askSkipReason, askValuesFile, askYes, wizardNotes, type WizardEnv } from '../../ui/wizard.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../version.ts';
import { answersFromValues, installCommand, pullSecretCommand, pullSecretObject, valuesFileHeader, valuesFromAnswers, type Answers, type ClusterFacts } from '../../wizard/answers.ts';
import type { GlobalOptions } from '../global-options.ts';
import { clusterAccess, withBundleCharts, type RawChartsOption, type RawClusterOptions } from '../cluster-options.ts';
import { readDefaults } from '../values-options.ts';
import { confirmQuestion, installedLines } from './install.ts';

export interface WizardCommandOptions extends RawClusterOptions, RawChartsOption {
  /** A values file to start from (an earlier wizard's, or any). */
  values?: string;
}

const DEFAULT_FILE = 'dynamo-values.yaml';

/** What the questions depend on, read from the cluster behind `context`. */
async function readFacts(kube: Kube): Promise<ClusterFacts> {
  // an operator that runs, not CRDs (helm keeps those after uninstall)
  const [discovery, classes, grove, kai] = await Promise.all([
    discoverOperators(kube),
    unlessForbidden(storageClasses(kube)),
    unlessForbidden(findOperatorDeployment(kube, COMPONENTS.grove.operator)),
    unlessForbidden(findOperatorDeployment(kube, COMPONENTS['kai-scheduler'].operator)),
  ]);
  return {
    operators: discovery.operators,
    forbidden: discovery.forbidden,
    storageClasses: classes,
    groveInstalled: grove !== undefined,
    kaiInstalled: kai !== undefined,
  };
}

function readBase(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`-f ${path}: cannot read the file`, { hint: 'check the path, or run dynamoctl wizard without -f to start from the defaults' });
  }
  return parseValuesFile(path, text).values;
}

export async function runWizard(opts: WizardCommandOptions, global: GlobalOptions): Promise<void> {
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
    throw new UserError('the wizard needs an interactive terminal, and there is none here', {
      hint: 'write a values file (dynamoctl values > dynamo-values.yaml, then edit it) and run: dynamoctl install -f dynamo-values.yaml --yes',
    });
  }
  const out = process.stderr;
  const notes = wizardNotes(out, global.color);
  const access = clusterAccess(opts, global);
  const base = readBase(opts.values);
  const defaults = await readDefaults();
  // the answers must make valid values on their own: check the starting file before asking anything
  resolveValues({ defaults, files: [{ source: opts.values ?? 'defaults', values: base }], sets: [] });
  const contexts = Kube.contexts(access.target);
  const kubes = new Map<string, Kube>();
  const kubeFor = (context: string): Kube => kubes.get(context) ?? kubes.set(context, Kube.load({ ...access.target, context })).get(context)!;
  const env: WizardEnv = {
    contexts,
    facts: (context) => readFacts(kubeFor(context)),
    pullSecrets: async (context, namespace) => (await unlessForbidden(dockerRegistrySecrets(kubeFor(context), namespace), [])) ?? [],
    output: out,
    color: global.color,
  };

  notes.opening(DYNAMO_PLATFORM_VERSION);
  let prefill = answersFromValues(base, defaults, global.context ?? contexts.current);
  if (global.namespace) prefill = { ...prefill, namespace: global.namespace };

  let answers: Answers;
  let values: Values;
  let tree: Record<string, unknown>;
  let skipChecks: { id: string; reason: string }[] = [];
  let installable = true;
  for (;;) {
    answers = await askAnswers(env, prefill);
    prefill = answers;
    tree = valuesFromAnswers(answers, base);
    values = await withBundleCharts(resolveValues({ defaults, files: [{ source: 'the wizard answers', values: tree }], sets: [] }), opts);
    const failed = await preflight(values, answers, access, global.color, notes.say);
    if (!failed.length) break;
    const skippable = failed.every((r) => !UNSKIPPABLE_CHECKS.includes(r.id));
    const choice = await askAfterFailedChecks(out, skippable);
    if (choice === 'back') continue;
    if (choice === 'quit') throw new InterruptedError('quit; nothing was written or changed');
    if (choice === 'save') installable = false;
    else {
      const reason = await askSkipReason(out);
      skipChecks = failed.map((r) => ({ id: r.id, reason }));
    }
    break;
  }

  const file = await askValuesFile(out, opts.values ?? DEFAULT_FILE, existsSync);
  const command = installCommand(file, answers, { kubeconfig: global.kubeconfig, skipChecks });
  writeFileSync(file, valuesFileHeader(command, new Date()) + valuesToYaml(tree), { mode: 0o644 });
  notes.written(file, command, pullSecretCommand(answers));
  if (!installable) {
    notes.warn(`Not installed: fix what the checks report, then run the command above (or dynamoctl wizard -f ${file}).`);
    return;
  }
  if (!(await askYes(out, 'Install now?', true))) {
    notes.say('Not installed. Run the command above when you are ready.');
    return;
  }
  const secret = pullSecretObject(answers);
  const progress = createProgress({ mode: 'tty', color: global.color, yes: false });
  const printer = checkPrinter({ tty: true, color: global.color });
  const summary = await installPlatform({
    values,
    overrides: tree,
    target: { ...access.target, context: answers.context },
    helm: { ...access.helm, context: answers.context },
    emit: progress.emit,
    confirm: (view, context) => progress.confirm(confirmQuestion(view, context)),
    dryRun: false,
    skipChecks,
    reportChecks: (failed) => failed.forEach((r) => out.write(printer.result(r))),
    ...(secret ? { userSecrets: [secret] } : {}),
  });
  for (const line of installedLines(summary, false, answers.context)) progress.info(line);
}

/** Runs the preflight checks for these values, printing each result; returns the failures. */
async function preflight(values: Values, answers: Answers, access: ReturnType<typeof clusterAccess>, color: boolean, say: (line?: string) => void): Promise<CheckResult[]> {
  say();
  say('Checking the cluster for this install:');
  const objects = renderManifests(values, { apiVersions: [] }, undefined, DYNAMO_PLATFORM_VERSION);
  const secret = pullSecretObject(answers);
  const ctx = createCheckContext({ values, objects, target: { ...access.target, context: answers.context }, helm: { ...access.helm, context: answers.context }, userSecrets: secret ? [secret] : [] });
  const printer = checkPrinter({ tty: true, color });
  const results = await runChecks(preflightChecks, ctx, (r) => process.stderr.write(printer.result(r)));
  process.stderr.write(printer.summary(results));
  return results.filter((r) => r.status === 'fail');
}
