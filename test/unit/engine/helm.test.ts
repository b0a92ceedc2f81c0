/** The helm part of the plan: parallel installs stop together, removals run after the rollout. */
import { describe, expect, it } from 'vitest';
import { planLines } from '../../../src/engine/describe.ts';
import { HelmError } from '../../../src/errors.ts';
import { DEPLOYMENT, emptyEnv, install, installedEnv, NS, valuesFor, writesSince } from './harness.ts';

describe('parallel helm installs', () => {
  it('a failing NATS install cancels etcd\'s at once, and the operator is never applied', async () => {
    const env = emptyEnv({ durationMs: { 'dynamo-platform-nats': 50, 'dynamo-platform-etcd': 10_000 }, failures: { 'dynamo-platform-nats': 'timed out waiting for the condition' } });
    const run = await install(env);
    const ended = performance.now();
    expect(run.error).toBeInstanceOf(HelmError);
    expect(run.error!.message).toBe('helm upgrade --install dynamo-platform-nats failed: timed out waiting for the condition');

    const [nats, etcd] = ['dynamo-platform-nats', 'dynamo-platform-etcd'].map((r) => env.helm.installs().find((c) => c.release === r)!);
    expect(nats!.outcome).toBe('failed');
    expect(etcd!.outcome).toBe('cancelled');
    expect((etcd!.reason as Error).message).toMatch(/^stopped because another part of the install failed: helm upgrade --install dynamo-platform-nats failed/);
    // both ran together, etcd stopped right after NATS failed, and the run ended right after that
    expect(etcd!.startedAt).toBeLessThan(nats!.endedAt!);
    expect(etcd!.endedAt! - nats!.endedAt!).toBeLessThan(100);
    expect(ended - nats!.startedAt).toBeLessThan(500);
    expect(env.helm.get('dynamo-platform-etcd', NS)).toBeUndefined();

    expect(writesSince(env.cluster.log, run.mark).filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(env.cluster.get(DEPLOYMENT)).toBeUndefined();
  });
});

describe('--no-nats on an upgrade', () => {
  it('plans a removal of the NATS release, shows it, and runs it after the operator rolled out', async () => {
    const env = await installedEnv();
    expect(env.helm.get('dynamo-platform-nats', NS)).toBeDefined();
    const run = await install(env, { values: valuesFor({ nats: false }, 'dynamo-operator:\n  natsAddr: nats://shared-nats.messaging:4222\n') });
    expect(run.error).toBeUndefined();

    expect(run.plan!.helm.filter((h) => h.component === 'nats')).toEqual([{ action: 'remove', component: 'nats', release: 'dynamo-platform-nats', namespace: NS, chart: 'nats', version: '1.3.2' }]);
    expect(planLines(run.plan!)).toContain('  - helm uninstall dynamo-platform-nats -n dynamo-system');
    expect(env.helm.calls.slice(run.helmMark).filter((c) => c.op === 'uninstall' || c.op === 'upgradeInstall').map((c) => `${c.op} ${c.release}`)).toEqual([
      'upgradeInstall dynamo-crds',
      'upgradeInstall dynamo-platform-etcd',
      'uninstall dynamo-platform-nats',
    ]);
    expect(env.helm.get('dynamo-platform-nats', NS)).toBeUndefined();

    // after the operator stopped using it: the removal step starts once the rollout step is done
    const steps = run.events.flatMap((e) => (e.type === 'step' && e.status !== 'progress' ? [`${e.status} ${e.title}`] : []));
    expect(steps.indexOf('started Removing nats')).toBeGreaterThan(steps.indexOf('done Waiting for the operator'));
    expect(steps.indexOf('done Waiting for the operator')).toBeGreaterThan(steps.indexOf('done Applying the operator'));
    expect(JSON.stringify(env.cluster.get(DEPLOYMENT)!.spec)).toContain('--natsAddr=nats://shared-nats.messaging:4222');
    expect(run.summary!.record!.helmReleases.map((h) => h.component)).toEqual(['dynamo-crds', 'etcd']);
  });
});
