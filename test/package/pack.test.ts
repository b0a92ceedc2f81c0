import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';

/** PATH with this test's Node first, so npm and the installed shim run on it. */
const pathWith = (nodeBinDir: string): string => [nodeBinDir, '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);

function sh(cmd: string, args: string[], cwd: string, nodeBinDir = dirname(process.execPath)) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, PATH: pathWith(nodeBinDir) }, timeout: 170_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A Node.js older than 22 on this machine (the system Node 20 here), to check the refusal. */
function findOldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    const r = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (r.status === 0 && Number(r.stdout.split('.')[0]) < 22) return candidate;
  }
  return undefined;
}

describe('the published package', () => {
  const work = mkdtempSync(join(tmpdir(), 'dynamoctl-pack-'));
  const prefix = join(work, 'prefix');
  let installedBin = '';

  it('packs, installs into an empty prefix and runs `dynamoctl --version`', () => {
    const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], repoRoot)) as { filename: string; files: { path: string }[] }[];
    const entry = packed[0];
    expect(entry).toBeDefined();
    const files = entry!.files.map((f) => f.path);
    expect(files).toContain('bin/dynamoctl');
    expect(files).toContain('dist/main.js');
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);

    sh('npm', ['install', '--global', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', join(work, entry!.filename)], work);
    installedBin = join(prefix, 'bin', 'dynamoctl');
    const out = sh(installedBin, ['--version'], work);
    expect(out).toMatch(/^dynamoctl \d+\.\d+\.\d+ \(Dynamo platform \d+\.\d+\.\d+\)\n$/);
  });

  const oldNode = findOldNode();
  it.runIf(oldNode)('refuses Node.js older than 22 with one clear line and exit 2', () => {
    expect(installedBin).not.toBe('');
    const r = spawnSync(oldNode!, [installedBin, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/dynamoctl needs Node\.js 22 or newer, but this is Node\.js v\d+/);
    rmSync(work, { recursive: true, force: true });
  });
});
