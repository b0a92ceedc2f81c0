/** Pruning deletes only what the install record lists and dynamoctl's field manager wrote. */
import { beforeAll, expect, it } from 'vitest';
import type { InstallRecord } from '../../../src/apply/record.ts';
import { ownershipLabels } from '../../../src/render/labels.ts';
import { copyEnv, install, installedEnv, NS, RECORD, RELEASE, writesSince, type Env } from './harness.ts';

let installed: Env;
beforeAll(async () => {
  installed = await installedEnv();
});

const secretPath = (name: string): string => `/api/v1/namespaces/${NS}/secrets/${name}`;
const ours = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS, labels: ownershipLabels({ release: RELEASE, namespace: NS }) }, data: { x: 'eA==' } });

function listInRecord(env: Env, names: string[]): void {
  env.cluster.edit(RECORD, (secret) => {
    const data = secret.data as Record<string, string>;
    const record = JSON.parse(Buffer.from(data['record.json']!, 'base64').toString('utf8')) as InstallRecord;
    record.inventory.push(...names.map((name) => ({ apiVersion: 'v1', kind: 'Secret', name, namespace: NS })));
    data['record.json'] = Buffer.from(JSON.stringify(record), 'utf8').toString('base64');
  }, 'dynamoctl');
}

it.each([
  { name: 'listed in the record and written by dynamoctl', listed: true, manager: 'dynamoctl', pruned: true },
  { name: 'carrying our labels but not in the record', listed: false, manager: 'dynamoctl', pruned: false },
  { name: 'listed in the record but written by another manager', listed: true, manager: 'kubectl-create', pruned: false },
])('an object no longer rendered, $name: pruned=$pruned', async ({ listed, manager, pruned }) => {
  const env = copyEnv(installed);
  env.cluster.seed(ours('left-behind'), { manager });
  if (listed) listInRecord(env, ['left-behind']);
  const run = await install(env);
  expect(run.error).toBeUndefined();
  expect(run.plan!.objects.filter((o) => o.action === 'prune').map((o) => o.object)).toEqual(pruned ? ['Secret dynamo-system/left-behind'] : []);
  expect(writesSince(env.cluster.log, run.mark).filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(pruned ? [secretPath('left-behind')] : []);
  expect(env.cluster.get(secretPath('left-behind')) === undefined).toBe(pruned);
});

it('a pruned object replaced since the plan is not deleted (uid precondition)', async () => {
  const env = copyEnv(installed);
  env.cluster.seed(ours('left-behind'), { manager: 'dynamoctl' });
  listInRecord(env, ['left-behind']);
  const run = await install(env, {
    meanwhile: ({ cluster }) => {
      cluster.remove(secretPath('left-behind'));
      cluster.seed(ours('left-behind'), { manager: 'dynamoctl' });
    },
  });
  expect(run.error?.message).toMatch(/Secret dynamo-system\/left-behind was replaced/);
  expect(env.cluster.get(secretPath('left-behind'))).toBeDefined();
});
