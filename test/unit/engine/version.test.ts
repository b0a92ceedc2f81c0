/** Upgrades go forward only: semver order (0.9.0-rc1 < 0.9.0), downgrades and unreadable records refused before anything changes. */
import { describe, expect, it } from 'vitest';
import { versionVerdict } from '../../../src/engine/plan.ts';
import { UserError } from '../../../src/errors.ts';
import type { InstallRecord } from '../../../src/apply/record.ts';
import { install, installedEnv, RECORD } from './harness.ts';

describe('versionVerdict', () => {
  it.each([
    [undefined, '0.9.0', { ok: true }],
    ['0.9.0-rc1', '0.9.0', { ok: true }],
    ['0.9.0', '0.9.0', { ok: true }],
    ['0.8.1', '0.8.1.post2', { ok: true }],
    ['0.9.0', '0.9.0-rc1', { ok: false, reason: 'older' }],
    ['0.9.0-rc2', '0.9.0-rc1', { ok: false, reason: 'older' }],
    ['0.8.1.post2', '0.8.1', { ok: false, reason: 'older' }],
    ['banana', '0.9.0', { ok: false, reason: 'unreadable' }],
    ['', '0.9.0', { ok: false, reason: 'unreadable' }],
  ])('recorded %s, installing %s', (recorded, installing, verdict) => {
    expect(versionVerdict(recorded === undefined ? undefined : { platformVersion: recorded }, installing)).toEqual(verdict);
  });
});

const writes = (log: { method: string; path: string }[]): string[] => log.filter((r) => r.method !== 'GET' && !r.path.includes('/leases')).map((r) => `${r.method} ${r.path}`);

describe('installPlatform over a recorded version', () => {
  it('0.9.0-rc1 → 0.9.0 upgrades', async () => {
    const env = await installedEnv({ platformVersion: '0.9.0-rc1' });
    const run = await install(env, { platformVersion: '0.9.0' });
    expect(run.error).toBeUndefined();
    expect(run.summary!.record!.platformVersion).toBe('0.9.0');
    expect(run.plan!.objects.filter((o) => o.action === 'update').length).toBeGreaterThan(0);
  });

  it('0.9.0 → 0.9.0-rc1 is refused as a downgrade; nothing changed', async () => {
    const env = await installedEnv({ platformVersion: '0.9.0' });
    const run = await install(env, { platformVersion: '0.9.0-rc1' });
    expect(run.error).toBeInstanceOf(UserError);
    expect(run.error!.message).toBe('release dynamo-platform in dynamo-system runs Dynamo platform 0.9.0; this dynamoctl installs 0.9.0-rc1, an older version');
    expect(run.plan).toBeUndefined();
    expect(writes(env.cluster.log)).toEqual([]);
  });

  it('a record whose version is not one is refused clearly', async () => {
    const env = await installedEnv();
    env.cluster.edit(RECORD, (secret) => {
      const data = secret.data as Record<string, string>;
      const record = JSON.parse(Buffer.from(data['record.json']!, 'base64').toString('utf8')) as InstallRecord;
      data['record.json'] = Buffer.from(JSON.stringify({ ...record, platformVersion: 'latest-and-greatest' }), 'utf8').toString('base64');
    });
    const run = await install(env);
    expect(run.error).toBeInstanceOf(UserError);
    expect(run.error!.message).toBe('the install record of dynamo-platform in dynamo-system names platform version "latest-and-greatest", which is not a version');
    expect(writes(env.cluster.log)).toEqual([]);
  });
});
