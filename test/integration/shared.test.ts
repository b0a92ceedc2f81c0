/**
 * Objects two releases both need, cluster-scoped and identical (the Kai queues `dynamo` and
 * `dynamo-default`, which the chart names without the release): the second release uses them as they are
 * (shared, recorded as such, never written); uninstalling the first hands them over instead of deleting them;
 * uninstalling the second removes them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk, uniqueName } from './cluster.ts';
import { installCrdsByHand, installEnvironment, removeByHand } from './environment.ts';

const env = installEnvironment('shared');
const [first, second] = [uniqueName('share-a'), uniqueName('share-b')];
const install = (release: string, ns: string) =>
  env.dynamoctl(['install', '--release', release, '-n', ns, '--scope', 'namespace', '--no-nats', '--no-etcd', '--kai', '--yes']);
const queueOwner = (name: string): string => kubectlOk(['get', 'queues.scheduling.run.ai', name, '-o', 'jsonpath={.metadata.labels.app\\.kubernetes\\.io/instance}/{.metadata.labels.dynamoctl\\.nvidia\\.com/release-namespace}']);

afterAll(() => {
  removeByHand('qa', first);
  removeByHand('qb', second);
  kubectl(['delete', 'queues.scheduling.run.ai', 'dynamo', 'dynamo-default', '--ignore-not-found']);
});

describe('cluster-scoped objects two releases need', () => {
  it('are shared by the second release, handed over when the first goes, and removed with the last', () => {
    installCrdsByHand();
    const a = install('qa', first);
    expect(a.code, a.stderr).toBe(0);
    expect(queueOwner('dynamo')).toBe(`qa/${first}`);

    const b = install('qb', second);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain(`= shared Queue dynamo: shared with dynamoctl release qa in ${first}`);
    expect(queueOwner('dynamo')).toBe(`qa/${first}`); // used, not taken
    const statusB = env.dynamoctl(['status', '--release', 'qb', '-n', second]);
    expect(statusB.code, statusB.stdout).toBe(0);

    const goneA = env.dynamoctl(['uninstall', '--release', 'qa', '-n', first, '--yes']);
    expect(goneA.code, goneA.stderr).toBe(0);
    expect(goneA.stderr).toContain(`= hand Queue dynamo over to release qb in ${second}`);
    expect(queueOwner('dynamo')).toBe(`qb/${second}`);
    expect(queueOwner('dynamo-default')).toBe(`qb/${second}`);

    const goneB = env.dynamoctl(['uninstall', '--release', 'qb', '-n', second, '--yes']);
    expect(goneB.code, goneB.stderr).toBe(0);
    expect(kubectl(['get', 'queues.scheduling.run.ai', 'dynamo']).stderr).toContain('NotFound');
  });
});
