/** Starting, watching and stopping the control plane's processes, each logging to its own file. */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Started {
  name: string;
  pid: number;
  log: string;
  /** How it was started, so it can be restarted the same way. */
  bin: string;
  args: string[];
  detached: boolean;
}

/** Runs `bin args` with output to <dir>/<name>.log. `detached` lets it outlive us (npm run cluster:up). */
export function startProcess(dir: string, name: string, bin: string, args: string[], opts: { detached: boolean; env?: NodeJS.ProcessEnv }): Started {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: opts.detached, env: { ...process.env, ...opts.env } });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
  if (opts.detached) child.unref();
  return { name, pid: child.pid, log, bin, args, detached: opts.detached };
}

/** Stops a process and starts it again with the same command line (e.g. an API server restart). */
export async function restartProcess(dir: string, p: Started, downMs = 0): Promise<Started> {
  await stopProcesses([p.pid]);
  if (downMs) await new Promise((r) => setTimeout(r, downMs));
  return startProcess(dir, p.name, p.bin, p.args, { detached: p.detached });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; fails early with the log tail if the process died. */
export async function waitFor(what: string, probe: () => Promise<boolean>, opts: { timeoutMs: number; process?: Started }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.process && !isAlive(opts.process.pid)) {
      throw new Error(`${opts.process.name} exited while waiting for ${what}; last log lines:\n${tail(opts.process.log)}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${opts.timeoutMs / 1000}s waiting for ${what}${opts.process ? `; last log lines of ${opts.process.name}:\n${tail(opts.process.log)}` : ''}`);
    }
    await sleep(200);
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves when every process is gone. */
export async function stopProcesses(pids: number[], graceMs = 5000): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(isAlive)) signal(pid, 'SIGKILL');
  while (pids.some(isAlive)) await sleep(50);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** A free TCP port on 127.0.0.1 (the kernel picks; we release it just before the process binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
