/**
 * `dynamoctl wizard` end to end in a real terminal (tmux) on the real control plane: a person's answers
 * become a values file, a printed command and an install that `status` reports healthy; re-running from the
 * file pre-fills every answer and rewrites the same file; the printed command repeats the install without
 * questions; Ctrl-C changes nothing; without a terminal the wizard refuses.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, runCli } from '../helpers/cli.ts';
import { installEnvironment, removeByHand } from './environment.ts';
import { cluster, helm, kubectl, kubectlOk, uniqueName } from './cluster.ts';
import { Terminal } from './terminal.ts';

const env = installEnvironment('wizard');
const terminals: Terminal[] = [];
afterAll(() => terminals.forEach((t) => t.close()));

const terminalEnv = (): Record<string, string> => ({ ...(cluster().helmEnv as Record<string, string>), PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', LANG: 'C.UTF-8' });

function start(name: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Terminal {
  const t = Terminal.start(name, [process.execPath, cliPath, ...args], { cwd, env: { ...terminalEnv(), ...extraEnv } });
  terminals.push(t);
  return t;
}

const PASSWORD = 'wizard-pw-7f3a91';

describe('the wizard in a terminal', () => {
  const release = 'wiz';
  const ns = uniqueName('wizard');
  const dir = mkdtempSync(join(env.work, 'session-'));
  const file = join(dir, 'dynamo-values.yaml');
  const context = (): string => kubectlOk(['config', 'current-context', '--kubeconfig', cluster().kubeconfig]).trim();
  afterAll(() => {
    removeByHand(release, ns);
  });

  it('asks, checks live, writes the values file and the command, installs, and status reports it healthy', async () => {
    const t = start('install', ['wizard', '-f', env.chartValues(), '--kubeconfig', cluster().kubeconfig, '--helm-binary', cluster().binaries.helm3], dir);
    expect(await t.answer(/Kubernetes context/, 'Enter')).toContain(`${context()} (current)`);
    await t.answer(/Scope of the operator/, 'Enter');
    await t.answer(/Install namespace/, `text:${ns}`, 'Enter');
    await t.answer(/Release name/, `text:${release}`, 'Enter');
    await t.answer(/Components/, 'Enter');
    await t.answer(/Image registry mirror/, 'Enter');
    await t.answer(/Image pull secret/, 'Down', 'Down', 'Enter');
    await t.answer(/Registry server \(nvcr\.io\)/, 'Enter');
    await t.answer(/User name/, 'text:alice', 'Enter');
    await t.answer(/Password or token/, `text:${PASSWORD}`, 'Enter');
    await t.answer(/Name for the Secret \(wiz-pull-secret\)/, 'Enter');
    await t.answer(/Storage for the NATS and etcd volumes/, 'Enter');
    await t.answer(/Review the advanced settings/, 'Enter');
    const checked = await t.answer(/Write the values file to/, `text:${file}`, 'Enter');
    expect(checked).toMatch(/Checking the cluster for this install:[\s\S]*✓ no existing Dynamo operator conflicts with this install[\s\S]*\d+ passed, \d+ warnings?, 0 failed/);
    expect(checked).toMatch(/wiz-pull-secret \(created by the install\)/);
    const offered = await t.answer(/Install now\?/, 'Enter');
    expect(offered).toContain(`dynamoctl install -f ${file} --kubeconfig ${cluster().kubeconfig} --context ${context()} --yes`);
    expect(offered).toMatch(/kubectl create secret docker-registry wiz-pull-secret -n \S+ --docker-server=nvcr\.io --docker-username=alice --docker-password='<password>'/);
    const plan = await t.answer(/Install Dynamo platform 0\.8\.1 as wiz/, 'y', 'Enter');
    expect(plan).toMatch(new RegExp(`\\+ apply Secret ${ns}/wiz-pull-secret \\(yours: not owned by the install`));
    const code = await t.exitCode();
    const screen = t.screen();
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/Installed Dynamo platform as release wiz/);
    expect(screen).not.toContain(PASSWORD);

    const values = readFileSync(file, 'utf8');
    expect(values).toMatch(/^# Dynamo platform values, written by dynamoctl wizard/);
    expect(values).toMatch(new RegExp(`release: wiz\\n\\s+namespace: ${ns}`));
    expect(values).toContain('- name: wiz-pull-secret');
    expect(values).not.toMatch(new RegExp(`${PASSWORD}|alice`));

    const status = env.dynamoctl(['status', '--release', release, '-n', ns, '-o', 'json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ healthy: true, phase: 'installed', scope: 'cluster' });
    const secret = JSON.parse(kubectlOk(['get', 'secret', 'wiz-pull-secret', '-n', ns, '-o', 'json'])) as { type: string; data: Record<string, string> };
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(Buffer.from(secret.data['.dockerconfigjson']!, 'base64').toString()).toContain(PASSWORD);
    const record = kubectlOk(['get', 'secret', `dynamoctl-install-${release}`, '-n', ns, '-o', 'jsonpath={.data.record\\.json}']);
    expect(Buffer.from(record, 'base64').toString()).not.toContain(PASSWORD);
    const args = kubectlOk(['get', 'deployment', `${release}-dynamo-operator-controller-manager`, '-n', ns, '-o', 'jsonpath={.spec.template.spec.imagePullSecrets[*].name}']);
    expect(args).toBe('wiz-pull-secret');
  });

  it('re-run from the file pre-fills every answer and writes the same file again', async () => {
    const before = readFileSync(file, 'utf8');
    const t = start('rerun', ['wizard', '-f', file, '--kubeconfig', cluster().kubeconfig, '--helm-binary', cluster().binaries.helm3], dir);
    await t.answer(/Kubernetes context/, 'Enter');
    await t.answer(/Scope of the operator/, 'Enter');
    await t.answer(new RegExp(`Install namespace \\(.*\\) \\(${ns}\\)`), 'Enter');
    await t.answer(/Release name \(wiz\)/, 'Enter');
    await t.answer(/Components/, 'Enter');
    await t.answer(/Image registry mirror/, 'Enter');
    expect(await t.answer(/Image pull secret/, 'Enter')).toMatch(/❯ Use an existing Secret/);
    expect(await t.answer(/Pull secret/, 'Enter')).toMatch(/❯ wiz-pull-secret/);
    await t.answer(/Storage for the NATS and etcd volumes/, 'Enter');
    await t.answer(/Review the advanced settings/, 'Enter');
    await t.answer(/Write the values file to \(.*dynamo-values\.yaml\)/, 'Enter');
    await t.answer(/.*dynamo-values\.yaml exists\. Replace it\?/, 'y', 'Enter');
    expect(t.screen()).toMatch(/upgrade of release "wiz" in \S+; no other Dynamo operator is installed/);
    await t.answer(/Install now\?/, 'n', 'Enter');
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).toMatch(/Found 1 Dynamo operator\(s\): wiz in \S+ \(cluster-wide\)/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('the printed command repeats the install without questions', () => {
    const command = /# {3}(dynamoctl install .*)/.exec(readFileSync(file, 'utf8'))![1]!;
    const args = command.split(' ').slice(1);
    const r = runCli([...args, '--helm-binary', cluster().binaries.helm3], { env: cluster().helmEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/= \d+ objects unchanged/);
    expect(r.stderr).not.toMatch(/^\s+[+~!-] (create|update|prune|conflict) /m);
    expect(r.stderr).toMatch(/Upgraded Dynamo platform as release wiz/);
  });
});

describe('failing checks', () => {
  it('stop the wizard until the user chooses; going back re-asks with the answers given, and nothing is installed', async () => {
    const ns = uniqueName('wizfail');
    const dir = mkdtempSync(join(env.work, 'failing-'));
    const file = join(dir, 'values.yaml');
    const t = start('failing', ['wizard', '-f', env.chartValues(), '--kubeconfig', cluster().kubeconfig, '--helm-binary', cluster().binaries.helm3], dir);
    const pass = async (first: boolean, pullSecret: string[]): Promise<void> => {
      await t.answer(/Kubernetes context/, 'Enter');
      await t.answer(/Scope of the operator/, 'Enter');
      await t.answer(/Install namespace/, ...(first ? [`text:${ns}`] : []), 'Enter');
      await t.answer(/Release name/, ...(first ? ['text:wizfail'] : []), 'Enter');
      await t.answer(/Components/, 'Enter');
      await t.answer(/Image registry mirror/, 'Enter');
      await t.answer(/Image pull secret/, ...pullSecret);
    };
    await pass(true, ['Down', 'Enter']);
    await t.answer(/Name of the Secret in/, 'text:missing-creds', 'Enter');
    await t.answer(/Storage for the NATS and etcd volumes/, 'Enter');
    await t.answer(/Review the advanced settings/, 'Enter');
    const menu = await t.answer(/Some checks failed\. What now\?/, 'Enter');
    expect(menu).toMatch(/✗ the configured image pull secrets exist[\s\S]*missing-creds: not found in namespace/);
    expect(menu).toMatch(/❯ Go back and change the answers[\s\S]*Continue anyway, skipping the failed checks[\s\S]*Write the values file only[\s\S]*Quit without writing anything/);
    // second pass: every answer pre-filled from the first; only the pull secret changes
    await pass(false, ['Up', 'Enter']);
    await t.answer(/Storage for the NATS and etcd volumes/, 'Enter');
    await t.answer(/Review the advanced settings/, 'Enter');
    await t.answer(/Write the values file to/, `text:${file}`, 'Enter');
    await t.answer(/Install now\?/, 'n', 'Enter');
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).toMatch(/Not installed\. Run the command above when you are ready/);
    const values = readFileSync(file, 'utf8');
    expect(values).toMatch(new RegExp(`namespace: ${ns}`));
    expect(values).toMatch(/release: wizfail/);
    expect(values).not.toContain('missing-creds');
    expect(kubectl(['get', 'namespace', ns]).stderr).toContain('NotFound');
  });
});

describe('interrupting the wizard', () => {
  it('Ctrl-C at a prompt (dynamoctl alone on a terminal) exits 130 and leaves the cluster and the folder untouched', async () => {
    const ns = uniqueName('never');
    const dir = mkdtempSync(join(env.work, 'cancel-'));
    const releasesBefore = helm(3, ['list', '-A', '-q']).stdout;
    const t = start('cancel', [], dir, { KUBECONFIG: cluster().kubeconfig, DYNAMOCTL_HELM: cluster().binaries.helm3 });
    await t.answer(/Kubernetes context/, 'Enter');
    await t.answer(/Scope of the operator/, 'Enter');
    await t.answer(/Install namespace/, `text:${ns}`, 'Enter');
    await t.answer(/Release name/, 'C-c');
    expect(await t.exitCode()).toBe(130);
    expect(t.screen()).toMatch(/wizard cancelled; nothing was changed/);
    expect(kubectl(['get', 'namespace', ns]).stderr).toContain('NotFound');
    expect(kubectl(['get', 'lease', 'dynamoctl-install-lock', '-n', 'default']).stderr).toContain('NotFound');
    expect(helm(3, ['list', '-A', '-q']).stdout).toBe(releasesBefore);
    expect(readdirSync(dir).filter((f) => !f.startsWith('.cancel.'))).toEqual([]);
  });

  it('without a terminal it refuses, pointing at install -f', () => {
    const r = runCli(['wizard', '--kubeconfig', cluster().kubeconfig]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: the wizard needs an interactive terminal, and there is none here\nHint: .*dynamoctl install -f dynamo-values\.yaml --yes/);
    expect(existsSync('dynamo-values.yaml')).toBe(false);
  });
});
