import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';

/** Writes `dynamoctl completion <shell>` to a file, as a user's rc file would source it. */
function scriptFile(shell: string): string {
  const r = runCli(['completion', shell]);
  expect(r.code).toBe(0);
  const file = join(mkdtempSync(join(tmpdir(), 'dynamoctl-completion-')), `dynamoctl.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

const has = (shell: string): boolean => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

/** Asks the bash-style function what it completes for `line` (cursor at the end; '' = new word). */
function completeWith(shell: 'bash' | 'zsh', script: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const program = `source ${script}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _dynamoctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync(shell, shell === 'zsh' ? ['-f', '-c', program] : ['--norc', '-c', program], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const offered = r.stdout.split('\n').filter(Boolean).sort();
  // bashcompinit's compgen leaves prefix matching to zsh's completion system, as zsh does on Tab.
  const prefix = words.at(-1) ?? '';
  return shell === 'zsh' ? offered.filter((w) => w.startsWith(prefix)) : offered;
}

const cases: [string[], string[]][] = [
  [['dynamoctl', ''], ['adopt', 'bundle', 'check', 'completion', 'help', 'install', 'render', 'status', 'uninstall', 'values', 'version', 'wizard']],
  [['dynamoctl', 've'], ['version']],
  [['dynamoctl', 'completion', ''], ['bash', 'fish', 'zsh']],
  [['dynamoctl', '--context', 'prod', 'completion', 'z'], ['zsh']],
  [['dynamoctl', '-o', ''], ['json', 'short', 'table', 'yaml']],
  [['dynamoctl', 'version', '--out'], ['--output']],
  [['dynamoctl', 'render', '--sc'], ['--scope']],
  [['dynamoctl', 'render', '--scope', ''], ['cluster', 'namespace']],
  [['dynamoctl', 'render', '-f', 'x.yaml', '--sh'], ['--show-values']],
];

describe('bash completion', () => {
  const script = scriptFile('bash');
  it.each(cases)('completes %j to %j', (words, expected) => {
    expect(completeWith('bash', script, words)).toEqual(expected);
  });
});

describe.runIf(has('zsh'))('zsh completion (bashcompinit)', () => {
  const script = scriptFile('zsh');
  it.each(cases)('completes %j to %j', (words, expected) => {
    expect(completeWith('zsh', script, words)).toEqual(expected);
  });
});

describe.runIf(has('fish'))('fish completion', () => {
  const script = scriptFile('fish');
  it.each(cases)('completes %j to %j', (words, expected) => {
    const line = words.join(' ');
    const r = spawnSync('fish', ['--no-config', '-c', `source ${script}; complete -C '${line}'`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort();
    expect(got).toEqual(expected);
  });
});
