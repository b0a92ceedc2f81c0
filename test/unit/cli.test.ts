import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cliPath, runCli } from '../helpers/cli.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('dynamoctl (whole process)', () => {
  it('prints the CLI and Dynamo platform versions with --version', () => {
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^dynamoctl ${pkg.version.replaceAll('.', '\\.')} \\(Dynamo platform \\d+\\.\\d+\\.\\d+\\)\\n$`));
    expect(r.stderr).toBe('');
  });

  it('prints versions as JSON for scripts', () => {
    const r = runCli(['version', '-o', 'json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as Record<string, string>;
    expect(info.dynamoctl).toBe(pkg.version);
    expect(info.dynamoPlatform).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.node).toBe(process.version);
  });

  it('groups --help into connection and output options and lists the commands', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const heading of ['Cluster connection:', 'Output and behaviour:', 'Other commands:', 'Examples:', 'Exit codes:']) {
      expect(r.stdout).toContain(heading);
    }
    for (const flag of ['--kubeconfig', '--context', '-n, --namespace', '-o, --output', '--no-color', '-y, --yes', '--verbose']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('shows help when run with no arguments', () => {
    const r = runCli([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: dynamoctl');
  });

  it('stops quietly when the reader of its output is gone (dynamoctl values | true)', () => {
    // `true` exits without reading, long before node has started: every write meets a closed pipe
    for (const args of ['values', '--help', 'render']) {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${cliPath}" ${args} | true`], { encoding: 'utf8' });
      expect(r.stderr, args).toBe('');
    }
  });

  it('rejects an unknown command with a suggestion, exit 2 and no stack trace', () => {
    const r = runCli(['versoin']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown command 'versoin'");
    expect(r.stderr).toContain('Did you mean version?');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an invalid output format, naming the allowed ones', () => {
    const r = runCli(['version', '-o', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are table, short, json, yaml');
  });

  it('accepts the global flags on a subcommand', () => {
    const r = runCli(['version', '--kubeconfig', '/nonexistent', '--context', 'x', '-n', 'ns', '-y', '--no-color', '--verbose']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dynamoctl');
  });
});
