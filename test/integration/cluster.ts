/** What integration tests share: the run's control plane and small wrappers around its real binaries. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import type { ClusterInfo } from '../cluster/control-plane.ts';

export function cluster(): ClusterInfo {
  return inject('cluster');
}

/** A namespace name no other test uses: tests share one cluster, never a namespace. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the cluster's kubectl; `kubeconfig` defaults to the admin one. Never throws: tests assert. */
export function kubectl(args: string[], opts: { kubeconfig?: string; input?: string } = {}): Run {
  const c = cluster();
  // the real Dynamo CRDs are over 1 MiB as JSON (spawnSync's default buffer)
  const r = spawnSync(c.binaries.kubectl, [`--kubeconfig=${opts.kubeconfig ?? c.kubeconfig}`, ...args], { encoding: 'utf8', input: opts.input ?? '', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl that must succeed; returns stdout. */
export function kubectlOk(args: string[], opts: { kubeconfig?: string; input?: string } = {}): string {
  const r = kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Objects → a multi-document YAML stream (for kubectl -f -). */
export const yamlStream = (objects: object[]): string => objects.map((o) => `---\n${stringify(o)}`).join('');

export type HelmMajor = 3 | 4;

/** Runs helm v3 or v4 with the cluster's isolated helm home. */
export function helm(major: HelmMajor, args: string[]): Run {
  const c = cluster();
  const bin = major === 3 ? c.binaries.helm3 : c.binaries.helm4;
  const r = spawnSync(bin, [`--kubeconfig=${c.kubeconfig}`, ...args], { encoding: 'utf8', env: { ...process.env, ...c.helmEnv }, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Polls until `check` passes (returns true) or fails the test with `what`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

