/**
 * `npm run demo`: dynamoctl's main job on a machine without a cluster. Starts (or reuses) the local
 * control plane, installs the whole platform with the fixture charts from the loopback repository, and
 * prints `dynamoctl status`. The cluster keeps running for exploration; `npm run cluster:down` stops it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ClusterInfo } from './control-plane.ts';
import { defaultStorageClass, writeChartSources } from '../helpers/fixtures.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const node = process.execPath;
const run = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(args[0]!, args.slice(1), { cwd: root, stdio: [opts.input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'], input: opts.input, env: { ...process.env, ...opts.env } });

const up = run([node, 'test/cluster/cli.ts', 'up'], {});
if (up.status !== 0) throw new Error('the local control plane did not start; see above');
const info = JSON.parse(readFileSync(join(root, '.cluster', 'cluster.json'), 'utf8')) as ClusterInfo;
if (!existsSync(join(root, 'dist', 'main.js'))) run(['npm', 'run', 'build']);

// the kwok nodes bind no volumes; etcd and NATS only need a default StorageClass to exist
run([info.binaries.kubectl, `--kubeconfig=${info.kubeconfig}`, 'apply', '--server-side', '-f', '-'], { input: stringify(defaultStorageClass('demo-default')) });
const values = writeChartSources(join(info.dir, 'demo-charts.yaml'), info.charts.httpRepo);
const dynamoctl = (args: string[]) => run([node, 'bin/dynamoctl', ...args, '--kubeconfig', info.kubeconfig, '--helm-binary', info.binaries.helm3], { env: info.helmEnv });

process.stderr.write(`\n$ dynamoctl install -f ${values} --yes\n`);
const install = dynamoctl(['install', '-f', values, '--yes']);
process.stderr.write('\n$ dynamoctl status\n');
const status = dynamoctl(['status']);
process.stderr.write(
  `\nThe cluster keeps running. Try:\n  export KUBECONFIG=${info.kubeconfig}\n  node bin/dynamoctl status --kubeconfig $KUBECONFIG --helm-binary ${info.binaries.helm3}\n  npm run cluster:down   # stop it\n`,
);
process.exitCode = install.status || status.status || 0;
