import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../bin/dynamoctl', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (bin/dynamoctl → dist/) as a user would, in its own process; killed after `timeoutMs` (60 s). */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; node?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(opts.node ?? process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...opts.env },
    input: opts.input ?? '',
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
