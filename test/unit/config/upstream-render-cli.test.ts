import { expect, it } from 'vitest';
import { IGNORED_UPSTREAM_KEYS } from '../../../src/config/ignored-keys.ts';
import { ExitCode } from '../../../src/errors.ts';
import { runCli } from '../../helpers/cli.ts';
import { describeWithUpstream, PLATFORM_081_DIR } from '../../helpers/upstream.ts';

// The built CLI (npm run build), as a user runs it with the chart's own values file.
describeWithUpstream('dynamoctl render -f <the upstream chart values.yaml>', () => {
  const platformValues = `${PLATFORM_081_DIR}values/platform-values.yaml`;

  it.each([[[]], [['--scope', 'namespace', '-n', 'team-a', '-o', 'json']]])('prints the same bytes as without the file (%j), and one warning on stderr', (extra: string[]) => {
    const without = runCli(['render', ...extra]);
    const withFile = runCli(['render', '-f', platformValues, ...extra]);
    expect(without.code).toBe(0);
    expect(without.stderr).toBe('');
    expect(withFile.code).toBe(0);
    expect(withFile.stdout).toBe(without.stdout);
    const lines = withFile.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: dynamoctl ignores 2 keys of the upstream chart: /);
    const named = IGNORED_UPSTREAM_KEYS.filter((k) => lines[0]!.includes(`${k.key} (`)).map((k) => k.key);
    expect(named).toEqual(['dynamo-operator.controllerManager.manager.image.pullPolicy', 'dynamo-operator.webhook.certGenerator']);
  });

  it('still refuses a typo in the operator section, with exit code 2', () => {
    const r = runCli(['render', '-f', platformValues, '--set', 'dynamo-operator.webhok.enabled=false']);
    expect(r.code).toBe(ExitCode.user);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('dynamo-operator.webhok: unknown key (did you mean "webhook"?)');
    expect(r.stderr).not.toContain('warning:');
  });
});
