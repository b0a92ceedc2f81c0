/**
 * The wizard's questions, asked with @inquirer/prompts on stderr. What may be offered and what an answer
 * may be are decided in wizard/answers.ts; this module only asks, in order, starting from `prefill`.
 * Ctrl-C at any prompt becomes InterruptedError (exit 130) before anything was changed.
 */
import { checkbox, confirm, input, password, select } from '@inquirer/prompts';
import { Chalk } from 'chalk';
import { ConflictError, InterruptedError } from '../errors.ts';
import {
  judgeInstall,
  pullSecretServer,
  scopeChoices,
  storageChoices,
  validateDuration,
  validateImage,
  validateNamespace,
  validateRegistry,
  validateRelease,
  validateSecretName,
  type Answers,
  type ClusterFacts,
  type StorageAnswer,
} from '../wizard/answers.ts';

export interface WizardEnv {
  contexts: { names: string[]; current: string };
  /** Reads what the questions depend on from the cluster behind a context. */
  facts(context: string): Promise<ClusterFacts>;
  /** Names of docker-registry Secrets already in a namespace (empty when it does not exist or may not be read). */
  pullSecrets(context: string, namespace: string): Promise<string[]>;
  output: NodeJS.WritableStream;
  color: boolean;
}

type Ctx = { output: NodeJS.WritableStream; clearPromptOnDone: false };

/** Turns the prompt library's Ctrl-C into our interruption. */
async function ask<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError' || (error as Error).name === 'AbortPromptError') throw new InterruptedError('wizard cancelled; nothing was changed');
    throw error;
  }
}

const storageKey = (s: StorageAnswer): string => (s.mode === 'class' ? `class:${s.name}` : s.mode);

export async function askAnswers(env: WizardEnv, prefill: Answers): Promise<Answers> {
  const ctx: Ctx = { output: env.output, clearPromptOnDone: false };
  const c = new Chalk({ level: env.color ? 1 : 0 });
  const say = (line: string): void => void env.output.write(`${line}\n`);

  const context = await ask(
    select(
      {
        message: 'Kubernetes context',
        choices: env.contexts.names.map((name) => ({ value: name, name: name === env.contexts.current ? `${name} (current)` : name })),
        default: env.contexts.names.includes(prefill.context) ? prefill.context : env.contexts.current,
      },
      ctx,
    ),
  );
  say(c.dim(`Reading the cluster behind ${context}…`));
  const facts = await env.facts(context);
  const running = facts.operators.filter((o) => o.running);
  say(c.dim(running.length ? `Found ${running.length} Dynamo operator(s): ${running.map((o) => `${o.release} in ${o.namespace ?? '?'} (${o.scope === 'cluster' ? 'cluster-wide' : `restricted to ${o.targetNamespace ?? '?'}`})`).join('; ')}` : 'No Dynamo operator is installed yet.'));
  if (facts.forbidden.length) say(c.yellow(`Note: you may not read ${facts.forbidden.join(', ')}; operators there cannot be seen, so the conflict answers below may be incomplete.`));

  // one cluster-wide dynamoctl install manages everything: the wizard can only upgrade it, so it starts from it
  const manager = running.find((o) => o.scope === 'cluster' && o.installedBy === 'dynamoctl' && o.namespace);
  if (manager && !(manager.release === prefill.release && manager.namespace === prefill.namespace)) {
    say(`Release ${manager.release} in ${manager.namespace} manages the whole cluster; continuing as its upgrade.`);
    prefill = { ...prefill, release: manager.release, namespace: manager.namespace!, scope: 'cluster' };
  }
  const choices = scopeChoices(facts.operators, prefill);
  const open = choices.filter((ch) => !ch.disabled);
  if (!open.length) throw new ConflictError(`no Dynamo install is possible here: ${choices[0]!.disabled!}`, { hint: 'keep using the existing operator, or remove it first (dynamoctl check shows the command)' });
  const scope = await ask(
    select(
      {
        message: 'Scope of the operator',
        choices: choices.map((ch) => ({ value: ch.value, name: ch.name, description: ch.description, ...(ch.disabled ? { disabled: `(${ch.disabled})` } : {}) })),
        default: open.some((ch) => ch.value === prefill.scope) ? prefill.scope : open[0]?.value,
      },
      ctx,
    ),
  );

  const namespace = await ask(input({ message: 'Install namespace (the operator, NATS and etcd run here)', default: prefill.namespace, validate: validateNamespace }, ctx));
  const targetNamespace =
    scope === 'namespace'
      ? await ask(
          input(
            {
              message: 'Namespace the operator manages',
              default: prefill.scope === 'namespace' && prefill.targetNamespace !== prefill.namespace ? prefill.targetNamespace : namespace,
              validate: (v) => {
                const valid = validateNamespace(v);
                if (valid !== true) return valid;
                // judged with this release as far as known: a clash with another release's operator shows now
                return judgeInstall({ release: prefill.release, namespace, scope, targetNamespace: v }, facts.operators.filter((o) => !(o.release === prefill.release && o.namespace === namespace)));
              },
            },
            ctx,
          ),
        )
      : namespace;
  const release = await ask(
    input(
      {
        message: 'Release name',
        default: prefill.release,
        validate: (v) => {
          const valid = validateRelease(v);
          return valid === true ? judgeInstall({ release: v, namespace, scope, targetNamespace }, facts.operators) : valid;
        },
      },
      ctx,
    ),
  );

  const reuse = (found: boolean): string => (found ? ' (found in the cluster: reused, not installed again)' : '');
  const components = await ask(
    checkbox(
      {
        message: 'Components (space toggles, enter accepts)',
        choices: [
          { value: 'nats', name: 'NATS', checked: prefill.nats, description: 'messaging for Dynamo components; off: set dynamo-operator.natsAddr to yours' },
          { value: 'etcd', name: 'etcd', checked: prefill.etcd, description: 'service discovery store; off: set dynamo-operator.etcdAddr to yours' },
          { value: 'grove', name: `Grove${reuse(facts.groveInstalled)}`, checked: prefill.grove || facts.groveInstalled, description: 'gang scheduling of multi-node deployments' },
          { value: 'kai', name: `Kai scheduler${reuse(facts.kaiInstalled)}`, checked: prefill.kai || facts.kaiInstalled, description: 'GPU-aware scheduling queues' },
        ],
      },
      ctx,
    ),
  );
  const has = (k: (typeof components)[number]): boolean => components.includes(k);

  const registry = await ask(
    input({ message: 'Image registry mirror (empty: pull from the public registries)', default: prefill.registry, validate: validateRegistry }, ctx),
  );

  const secretMode = await ask(
    select(
      {
        message: 'Image pull secret',
        choices: [
          { value: 'none' as const, name: 'None', description: 'the images are public, or the nodes hold the credentials' },
          { value: 'existing' as const, name: 'Use an existing Secret', description: `a docker-registry Secret already in namespace ${namespace}` },
          { value: 'create' as const, name: 'Create one from a user name and password', description: 'created in the cluster when you install; the password is never written to a file' },
        ],
        default: prefill.pullSecret.mode,
      },
      ctx,
    ),
  );
  let pullSecret: Answers['pullSecret'] = { mode: 'none' };
  const prefilledName = prefill.pullSecret.mode === 'none' ? `${release}-pull-secret` : prefill.pullSecret.name;
  if (secretMode === 'existing') {
    const found = await env.pullSecrets(context, namespace);
    const name = found.length
      ? await ask(
          select(
            { message: 'Pull secret', choices: [...found.map((n) => ({ value: n, name: n })), { value: '', name: 'Another name…' }], default: found.includes(prefilledName) ? prefilledName : found[0] },
            ctx,
          ),
        )
      : '';
    pullSecret = { mode: 'existing', name: name || (await ask(input({ message: `Name of the Secret in ${namespace}`, default: prefilledName, validate: validateSecretName }, ctx))) };
  } else if (secretMode === 'create') {
    const server = await ask(input({ message: 'Registry server', default: pullSecretServer({ registry, operatorImage: prefill.operatorImage }), validate: (v) => (v ? true : 'the registry host is required') }, ctx));
    const username = await ask(input({ message: 'User name', default: prefill.pullSecret.mode === 'create' ? prefill.pullSecret.username : undefined, validate: (v) => (v ? true : 'a user name is required') }, ctx));
    const secret = await ask(password({ message: 'Password or token (hidden)', mask: '*', validate: (v) => (v ? true : 'a password is required') }, ctx));
    const name = await ask(input({ message: 'Name for the Secret', default: prefilledName, validate: validateSecretName }, ctx));
    pullSecret = { mode: 'create', name, server, username, password: secret };
  }

  let storage: StorageAnswer = prefill.storage;
  if (has('nats') || has('etcd')) {
    const offered = storageChoices(facts.storageClasses);
    const key = await ask(
      select(
        {
          message: 'Storage for the NATS and etcd volumes',
          choices: offered.map((o) => ({ value: storageKey(o.value), name: o.name, description: o.description })),
          default: offered.some((o) => storageKey(o.value) === storageKey(prefill.storage)) ? storageKey(prefill.storage) : storageKey(offered[0]!.value),
        },
        ctx,
      ),
    );
    storage = offered.find((o) => storageKey(o.value) === key)!.value;
  }

  let advanced = { operatorImage: prefill.operatorImage, operatorTag: prefill.operatorTag, namespaceOnly: prefill.namespaceOnly, helmTimeout: prefill.helmTimeout, rolloutTimeout: prefill.rolloutTimeout };
  if (await ask(confirm({ message: 'Review the advanced settings (operator image, timeouts, namespace-only)?', default: false }, ctx))) {
    advanced = {
      operatorImage: await ask(input({ message: 'Operator image repository (empty: nvcr.io/nvidia/ai-dynamo/kubernetes-operator)', default: prefill.operatorImage, validate: validateImage }, ctx)),
      operatorTag: await ask(input({ message: 'Operator image tag (empty: the platform version)', default: prefill.operatorTag }, ctx)),
      namespaceOnly:
        scope === 'namespace'
          ? await ask(confirm({ message: 'No cluster-scoped objects at all (for namespace admins; no admission webhook)?', default: prefill.namespaceOnly }, ctx))
          : false,
      helmTimeout: await ask(input({ message: 'Time limit per helm chart', default: prefill.helmTimeout, validate: validateDuration }, ctx)),
      rolloutTimeout: await ask(input({ message: 'Time limit for the operator rollout', default: prefill.rolloutTimeout, validate: validateDuration }, ctx)),
    };
  }

  return { context, scope, namespace, targetNamespace, release, nats: has('nats'), etcd: has('etcd'), grove: has('grove'), kai: has('kai'), registry, pullSecret, storage, ...advanced };
}

export type FailedChecksChoice = 'back' | 'skip' | 'save' | 'quit';

/** After failing checks: never onwards without an explicit choice. `skippable` is false when a check that cannot be skipped failed. */
export async function askAfterFailedChecks(output: NodeJS.WritableStream, skippable: boolean): Promise<FailedChecksChoice> {
  return ask(
    select<FailedChecksChoice>(
      {
        message: 'Some checks failed. What now?',
        choices: [
          { value: 'back', name: 'Go back and change the answers' },
          { value: 'skip', name: 'Continue anyway, skipping the failed checks (you give a reason; it is recorded)', ...(skippable ? {} : { disabled: '(a failed check cannot be skipped)' }) },
          { value: 'save', name: 'Write the values file only, and stop' },
          { value: 'quit', name: 'Quit without writing anything' },
        ],
        default: 'back',
      },
      { output, clearPromptOnDone: false },
    ),
  );
}

export async function askSkipReason(output: NodeJS.WritableStream): Promise<string> {
  return ask(input({ message: 'Why is it safe to skip them here? (recorded with the install)', validate: (v) => (v.trim() ? true : 'a reason is required') }, { output, clearPromptOnDone: false }));
}

export async function askValuesFile(output: NodeJS.WritableStream, suggested: string, exists: (path: string) => boolean): Promise<string> {
  const ctx: Ctx = { output, clearPromptOnDone: false };
  for (;;) {
    const path = await ask(input({ message: 'Write the values file to', default: suggested, validate: (v) => (v.trim() ? true : 'a file name is required') }, ctx));
    if (!exists(path) || (await ask(confirm({ message: `${path} exists. Replace it?`, default: false }, ctx)))) return path;
  }
}

export async function askYes(output: NodeJS.WritableStream, message: string, preset: boolean): Promise<boolean> {
  return ask(confirm({ message, default: preset }, { output, clearPromptOnDone: false }));
}

/** The wizard's own lines (stderr): the opening, the written file and its command, the not-installed notes. */
export function wizardNotes(output: NodeJS.WritableStream, color: boolean) {
  const c = new Chalk({ level: color ? 1 : 0 });
  const say = (line = ''): void => void output.write(`${line}\n`);
  return {
    say,
    opening(platformVersion: string): void {
      say(c.bold(`dynamoctl wizard: install the Dynamo platform ${platformVersion}`));
      say(c.dim('Every answer ends up in a values file you can commit and re-run. Nothing changes in the cluster until you say install; Ctrl-C quits at any prompt.'));
    },
    written(file: string, command: string, secretCommand: string | undefined): void {
      say();
      say(`Wrote ${file}. The same install, without questions:`);
      if (secretCommand) say(`  ${secretCommand}   ${c.dim('# once per cluster; the password is not saved')}`);
      say(`  ${c.bold(command)}`);
    },
    warn(line: string): void {
      say(c.yellow(line));
    },
  };
}
