import { describe, expect, it } from 'vitest';
import { report } from '../../../src/checks/images.ts';
import { mapLimit } from '../../../src/concurrency.ts';
import { imagePullsOf } from '../../../src/components/images.ts';
import { judge, summarise, type ManifestProbe } from '../../../src/registry/verdict.ts';

const at = { image: 'nvcr.io/nvidia/op:1', registry: 'nvcr.io' };

describe('the verdict table', () => {
  it.each<[ManifestProbe, 'ok' | 'fail' | 'warn', RegExp, RegExp | undefined]>([
    [{ kind: 'exists', digest: 'sha256:1' }, 'ok', /^nvcr\.io\/nvidia\/op:1: exists$/, undefined],
    [{ kind: 'missing' }, 'fail', /: missing \(nvcr\.io has no such manifest\)$/, /fix the repository or tag/],
    [{ kind: 'unauthorized', credentials: [] }, 'fail', /wants credentials, and no pull secret of the pod has any for it/, /create a docker-registry secret for nvcr\.io and pass it with --image-pull-secret/],
    [{ kind: 'unauthorized', credentials: ['secret ns/ngc'] }, 'fail', /refused the credentials of secret ns\/ngc\)$/, /check the user and password in that secret/],
    [{ kind: 'invalid', reason: 'bad tag' }, 'fail', /not a valid image reference \(bad tag\)/, /correct the image/],
    [{ kind: 'unreachable', host: 'nvcr.io', reason: 'connection refused' }, 'warn', /^nvcr\.io is not reachable from here \(connection refused\): nvcr\.io\/nvidia\/op:1$/, /ImagePullBackOff/],
    [{ kind: 'error', reason: 'the registry answered 503' }, 'warn', /not verified \(the registry answered 503\)/, /again later/],
  ])('%j → %s', (probe, level, line, fix) => {
    const v = judge(probe, at);
    expect(v.level).toBe(level);
    expect(v.line).toMatch(line);
    if (fix) expect(v.fix).toMatch(fix);
    else expect(v.fix).toBeUndefined();
  });

  it('tells a mirror user to copy the missing image into the mirror', () => {
    expect(judge({ kind: 'missing' }, { ...at, mirror: 'mirror.example.com' }).fix).toMatch(/^copy the image into the mirror at this path \(dynamoctl bundle lists every image to mirror\)/);
  });

  it('counts verdicts worst first', () => {
    expect(summarise([{ kind: 'exists' }, { kind: 'missing' }, { kind: 'unreachable', host: 'h', reason: 'r' }, { kind: 'error', reason: 'e' }, { kind: 'exists' }])).toBe('1 missing, 2 not verified, 2 exist');
  });
});

describe('the images check outcome', () => {
  const pulls = (...images: string[]) => images.map((image) => ({ image, pullSecrets: [] }));

  it('passes when every image exists', () => {
    expect(report(pulls('a.io/x:1', 'nats:2'), [{ kind: 'exists' }, { kind: 'exists' }], [], '')).toEqual({ status: 'pass', detail: '2 images: 2 exist' });
  });

  it('fails on a missing image even when others are only unreachable, failures listed first', () => {
    const r = report(pulls('nats:2', 'a.io/x:1'), [{ kind: 'unreachable', host: 'registry-1.docker.io', reason: 'r' }, { kind: 'missing' }], [], '');
    expect(r).toMatchObject({ status: 'fail', message: '2 images: 1 missing, 1 not verified' });
    expect(r.status === 'fail' && r.details).toEqual([
      'a.io/x:1: missing (a.io has no such manifest)',
      expect.stringMatching(/^ {2}fix: /),
      'docker.io is not reachable from here (r): nats:2',
      expect.stringMatching(/^ {2}fix: if the cluster's nodes cannot reach it either/),
    ]);
  });

  it('only warns about a missing image that pods run now (the nodes that have it keep it)', () => {
    const image = 'gcr.io/kubebuilder/kube-rbac-proxy:v0.15.0';
    const r = report(pulls(image, 'a.io/x:1'), [{ kind: 'missing' }, { kind: 'exists' }], [], '', new Set([image]));
    expect(r).toMatchObject({ status: 'warn', message: '2 images: 1 missing, 1 exist' });
    expect(r.status === 'warn' && r.details?.[0]).toBe(`${image}: missing (gcr.io has no such manifest) (running now: the nodes that have it keep it; a new node could not pull it)`);
    expect(report(pulls(image), [{ kind: 'missing' }], [], '')).toMatchObject({ status: 'fail' });
  });

  it('only warns when registries do not answer, one line per registry', () => {
    const down = { kind: 'unreachable', host: 'ghcr.io', reason: 'the host name does not resolve' } as const;
    const r = report(pulls('ghcr.io/a:1', 'ghcr.io/b:1', 'c.io/c:1'), [down, down, { kind: 'exists' }], ['pull secret x is not in namespace n: its images were asked without it'], '');
    expect(r).toMatchObject({ status: 'warn', message: '3 images: 2 not verified, 1 exist' });
    expect(r.status === 'warn' && r.details).toEqual([
      'ghcr.io is not reachable from here (the host name does not resolve): 2 images not verified (ghcr.io/a:1, ghcr.io/b:1)',
      expect.stringMatching(/^ {2}fix: /),
      'pull secret x is not in namespace n: its images were asked without it',
    ]);
  });
});

describe('imagePullsOf', () => {
  it('gives each image the pull secrets of every pod that names it, its ServiceAccount’s included', () => {
    const objects = [
      { kind: 'ServiceAccount', metadata: { name: 'sa' }, imagePullSecrets: [{ name: 'from-sa' }] },
      { kind: 'Deployment', spec: { template: { spec: { serviceAccountName: 'sa', imagePullSecrets: [{ name: 'own' }], containers: [{ image: 'a:1' }], initContainers: [{ image: 'b:1' }] } } } },
      { kind: 'Job', spec: { template: { spec: { containers: [{ image: 'a:1' }, { image: 'c:1' }] } } } },
      { kind: 'ConfigMap', data: { image: 'not-an-image:1' } },
    ];
    expect(imagePullsOf(objects)).toEqual([
      { image: 'a:1', pullSecrets: ['from-sa', 'own'] },
      { image: 'b:1', pullSecrets: ['from-sa', 'own'] },
      { image: 'c:1', pullSecrets: [] },
    ]);
  });
});

describe('mapLimit', () => {
  it('keeps the order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
});
