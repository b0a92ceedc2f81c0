/** The wizard's questions, driven through @inquirer/testing's virtual screen (no terminal, no cluster). */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { screen } from '@inquirer/testing/vitest';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ExistingOperator } from '../../../src/conflicts/types.ts';
import { ConflictError, InterruptedError } from '../../../src/errors.ts';
import { askAnswers, type WizardEnv } from '../../../src/ui/wizard.ts';
import { answersFromValues, type Answers, type ClusterFacts } from '../../../src/wizard/answers.ts';

const defaults = parse(readFileSync(new URL('../../../templates/values.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
const prefill = (over: Partial<Answers> = {}): Answers => ({ ...answersFromValues({}, defaults, 'kind-b'), ...over });

function env(facts: Partial<ClusterFacts> = {}, secrets: string[] = []): WizardEnv & { said: () => string } {
  const output = new PassThrough();
  let said = '';
  output.on('data', (d: Buffer) => (said += d.toString()));
  return {
    contexts: { names: ['kind-a', 'kind-b'], current: 'kind-a' },
    facts: async () => ({ operators: [], storageClasses: [{ name: 'standard', isDefault: true }, { name: 'fast', isDefault: false }], groveInstalled: false, kaiInstalled: false, forbidden: [], ...facts }),
    pullSecrets: async () => secrets,
    output,
    color: false,
    said: () => said,
  };
}

const op = (o: Partial<ExistingOperator>): ExistingOperator => ({ release: 'other', namespace: 'other-ns', scope: 'cluster', targetNamespace: undefined, installedBy: 'dynamoctl', running: true, objects: [], ...o });

/** Waits for the prompt whose message matches, failing with the screen if another one shows up. */
/** The next screen update, or the current screen when none comes (a failing expectation then shows it). */
const settle = (): Promise<void> => Promise.race([screen.next(), new Promise<void>((r) => setTimeout(r, 1000).unref())]);

async function at(message: RegExp): Promise<string> {
  for (let i = 0; i < 3 && !message.test(screen.getScreen()); i++) await settle();
  const shown = screen.getScreen();
  expect(shown).toMatch(message);
  return shown;
}

/** Answers the prompt whose message matches with its current choice; returns what it showed. */
async function enter(message: RegExp): Promise<string> {
  const shown = await at(message);
  screen.keypress('enter');
  return shown;
}

/** Accepts the current choice of each prompt in turn. */
async function enterAll(...messages: RegExp[]): Promise<void> {
  for (const m of messages) await enter(m);
}

/** The first four questions, with their defaults. */
const UP_TO_RELEASE = [/Kubernetes context/, /Scope/, /Install namespace/, /Release name/];

/** Accepts every default from the components question to the end. */
const acceptRest = (): Promise<void> => enterAll(/Components/, /Image registry mirror/, /Image pull secret/, /Storage for the NATS and etcd volumes/, /Review the advanced settings/);

describe('the wizard questions', () => {
  it('offer the pre-filled answers: enter all the way through gives them back', async () => {
    const e = env();
    const answers = askAnswers(e, prefill());
    expect(await enter(/Kubernetes context/)).toMatch(/kind-a \(current\)[\s\S]*❯ kind-b/);
    await enter(/Scope of the operator/);
    await enter(/Install namespace/);
    await enter(/Release name/);
    await acceptRest();
    await expect(answers).resolves.toEqual(prefill());
    expect(e.said()).toMatch(/No Dynamo operator is installed yet/);
  });

  it('show scopes the conflict matrix blocks as disabled, with the reason, and skip to the open one', async () => {
    const answers = askAnswers(env({ operators: [op({ scope: 'namespace', targetNamespace: 'team-x', installedBy: 'helm-chart' })] }), prefill());
    await enter(/Kubernetes context/);
    const scope = await at(/Scope of the operator/);
    expect(scope).toMatch(/Cluster-wide \(blocked: a cluster-wide operator would conflict with the existing namespace-restricted operators: release "other"/);
    expect(scope).toMatch(/❯ Namespace-restricted/);
    screen.keypress('up');
    screen.keypress('enter');
    await at(/This option is disabled and cannot be selected/);
    screen.keypress('down');
    await enter(/Scope of the operator/);
    await enter(/Install namespace/);
    await enter(/Namespace the operator manages/);
    await enter(/Release name/);
    await acceptRest();
    await expect(answers).resolves.toMatchObject({ scope: 'namespace', targetNamespace: 'dynamo-system' });
  });

  it('continue as the upgrade of the cluster-wide dynamoctl install already there', async () => {
    const e = env({ operators: [op({ release: 'prod', namespace: 'dynamo-prod' })] });
    const answers = askAnswers(e, prefill());
    await enter(/Kubernetes context/);
    // the install itself may change its scope: the matrix judges it against everyone else
    expect(await enter(/Scope of the operator/)).not.toMatch(/blocked/);
    await enter(/Install namespace \(.*\) \(dynamo-prod\)/);
    await enter(/Release name \(prod\)/);
    await acceptRest();
    await expect(answers).resolves.toMatchObject({ scope: 'cluster', release: 'prod', namespace: 'dynamo-prod' });
    expect(e.said()).toMatch(/Release prod in dynamo-prod manages the whole cluster; continuing as its upgrade/);
  });

  it('refuse to go on when no scope is possible (a Helm-chart cluster-wide operator)', async () => {
    const answers = askAnswers(env({ operators: [op({ installedBy: 'helm-chart' })] }), prefill());
    await enter(/Kubernetes context/);
    await expect(answers).rejects.toThrow(ConflictError);
    await expect(answers).rejects.toThrow(/no Dynamo install is possible here: blocked: multiple cluster managers/);
  });

  it('validate names as typed and show why', async () => {
    const answers = askAnswers(env({ operators: [op({ release: 'a', namespace: 'team-a', scope: 'namespace', targetNamespace: 'team-a' })] }), prefill({ namespace: 'team-b', targetNamespace: 'team-b' }));
    await enter(/Kubernetes context/);
    expect(await enter(/Scope of the operator/)).toMatch(/❯ Namespace-restricted/);
    await at(/Install namespace/);
    screen.type('Team_B');
    screen.keypress('enter');
    await settle();
    expect(screen.getScreen()).toMatch(/lower-case letters, digits and "-"/);
    for (let i = 0; i < 6; i++) screen.keypress('backspace');
    screen.type('team-b');
    screen.keypress('enter');
    await settle();
    await at(/Namespace the operator manages/);
    screen.keypress('tab'); // take the default into the line, then replace it
    for (let i = 0; i < 6; i++) screen.keypress('backspace');
    screen.type('team-a');
    screen.keypress('enter');
    await settle();
    expect(screen.getScreen()).toMatch(/blocked: two namespace-restricted operators would manage the same namespace: release "a"/);
    for (let i = 0; i < 6; i++) screen.keypress('backspace');
    screen.type('team-c');
    screen.keypress('enter');
    await settle();
    await enter(/Release name/);
    await acceptRest();
    await expect(answers).resolves.toMatchObject({ namespace: 'team-b', targetNamespace: 'team-c' });
  });

  it('mask the registry password and keep it out of everything printed', async () => {
    const e = env();
    const answers = askAnswers(e, prefill());
    await enterAll(...UP_TO_RELEASE, /Components/);
    await at(/Image registry mirror/);
    screen.type('mirror.example.com:5000/dynamo');
    screen.keypress('enter');
    await settle();
    await at(/Image pull secret/);
    screen.keypress('down');
    screen.keypress('down');
    await enter(/Image pull secret/);
    await enter(/Registry server \(mirror\.example\.com:5000\)/);
    await at(/User name/);
    screen.type('alice');
    screen.keypress('enter');
    await settle();
    await at(/Password or token/);
    screen.type('hunter2-secret');
    expect(await at(/\*{14}/)).not.toContain('hunter2');
    screen.keypress('enter');
    await settle();
    await enter(/Name for the Secret \(dynamo-platform-pull-secret\)/);
    await enter(/Storage/);
    await enter(/advanced/);
    await expect(answers).resolves.toMatchObject({ registry: 'mirror.example.com:5000/dynamo', pullSecret: { mode: 'create', name: 'dynamo-platform-pull-secret', server: 'mirror.example.com:5000', username: 'alice', password: 'hunter2-secret' } });
    expect(await screen.getFullOutput()).not.toContain('hunter2');
    expect(e.said()).not.toContain('hunter2');
  });

  it('offer the docker-registry Secrets of the namespace, detected Grove for reuse, and storage classes from the cluster', async () => {
    const answers = askAnswers(env({ groveInstalled: true }, ['mirror-creds', 'other-creds']), prefill());
    await enterAll(...UP_TO_RELEASE);
    expect(await enter(/Components/)).toMatch(/◉ Grove \(found in the cluster: reused, not installed again\)/);
    await enter(/Image registry mirror/);
    await at(/Image pull secret/);
    screen.keypress('down');
    await enter(/Image pull secret/);
    expect(await at(/\? Pull secret/)).toMatch(/mirror-creds[\s\S]*other-creds[\s\S]*Another name/);
    screen.keypress('down');
    await enter(/\? Pull secret/);
    expect(await at(/Storage/)).toMatch(/standard \(the cluster default\)[\s\S]*fast[\s\S]*No persistence/);
    screen.keypress('down');
    await enter(/Storage/);
    await enter(/advanced/);
    await expect(answers).resolves.toMatchObject({ grove: true, pullSecret: { mode: 'existing', name: 'other-creds' }, storage: { mode: 'class', name: 'fast' } });
  });

  it('ask the advanced settings only on request, validating durations', async () => {
    const answers = askAnswers(env(), prefill());
    await enterAll(...UP_TO_RELEASE, /Components/, /Image registry mirror/, /Image pull secret/, /Storage/);
    await at(/advanced/);
    screen.type('y');
    screen.keypress('enter');
    await settle();
    await enter(/Operator image repository/);
    await at(/Operator image tag/);
    screen.type('0.8.1-hotfix');
    screen.keypress('enter');
    await settle();
    await at(/Time limit per helm chart/);
    screen.keypress('tab');
    for (let i = 0; i < 3; i++) screen.keypress('backspace');
    screen.type('soon');
    screen.keypress('enter');
    await settle();
    expect(screen.getScreen()).toMatch(/a duration such as 90s, 10m or 1h/);
    for (let i = 0; i < 4; i++) screen.keypress('backspace');
    screen.type('15m');
    screen.keypress('enter');
    await settle();
    await enter(/Time limit for the operator rollout/);
    await expect(answers).resolves.toMatchObject({ operatorTag: '0.8.1-hotfix', helmTimeout: '15m', rolloutTimeout: '5m' });
  });

  it('turn Ctrl-C at any prompt into an interruption (exit 130)', async () => {
    const answers = askAnswers(env(), prefill());
    await enter(/Kubernetes context/);
    await at(/Scope/);
    screen.keypress({ name: 'c', ctrl: true });
    await expect(answers).rejects.toBeInstanceOf(InterruptedError);
    await expect(answers).rejects.toThrow(/wizard cancelled; nothing was changed/);
  });
});
