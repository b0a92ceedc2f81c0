/**
 * The dynamo-platform stand-in (test/cluster/umbrella.ts) renders, through the pinned helm, what the real
 * chart rendered: every upstream case under its own release and namespace, byte for byte; and the
 * templating itself holds for another release (case 01's chart as `my-dynamo-operator` is case 04's
 * render). Needs the upstream reference data and the pinned helm binaries (built for the integration
 * tests); skipped, naming what is missing, without them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildUmbrellaChart, upstreamCase, type UpstreamCase } from '../cluster/umbrella.ts';
import { binaries } from '../cluster/versions.ts';
import { PLATFORM_081_DIR, describeWithUpstream } from '../helpers/upstream.ts';

const into = mkdtempSync(join(tmpdir(), 'dynamoctl-umbrella-'));
const render = (name: string): string => readFileSync(join(PLATFORM_081_DIR, 'renders', `${name}.yaml`), 'utf8');
// how the renders were made: the subcharts off (they are separate charts), the case's values and API versions
const RENDERED_AS = ['nats', 'etcd', 'grove', 'kai-scheduler'].flatMap((k) => ['--set', `${k}.enabled=false`]);

function template(chart: string, c: UpstreamCase, opts: { release?: string; helm?: string; extra?: string[] } = {}): string {
  const args = ['template', opts.release ?? c.release, chart, '-n', c.namespace, ...(opts.extra ?? RENDERED_AS), ...c.values, ...c.apiVersions.flatMap((a) => ['-a', a])];
  const r = spawnSync(opts.helm ?? binaries.helm3, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return r.stdout;
}

const objects = (text: string): string[] =>
  parseAllDocuments(text)
    .map((d) => JSON.stringify(d.toJS()))
    .filter((o) => o !== 'null')
    .sort();

const missingHelm = [binaries.helm3, binaries.helm4].filter((b) => !existsSync(b));
const cases = existsSync(join(PLATFORM_081_DIR, 'cases.json')) ? (JSON.parse(readFileSync(join(PLATFORM_081_DIR, 'cases.json'), 'utf8')) as UpstreamCase[]) : [];
// 04's release is the operator's fullname: buildUmbrellaChart refuses it (checked below), 01's chart stands in
const buildable = cases.filter((c) => c.name !== '04-release-contains-operator').map((c) => c.name);

describeWithUpstream('the dynamo-platform stand-in chart', () => {
  (missingHelm.length ? describe.skip : describe)(`helm template${missingHelm.length ? ` (skipped: no ${missingHelm.join(', ')}; npm run cluster:build)` : ''}`, () => {
    it.each(buildable)('%s: renders the upstream render exactly', (name) => {
      const chart = buildUmbrellaChart({ into: join(into, name), caseName: name });
      expect(template(chart, upstreamCase(name))).toBe(render(name));
    });

    it('case 01 as release my-dynamo-operator renders case 04 (names from the release, the fullname rule)', () => {
      const chart = buildUmbrellaChart({ into: join(into, '01-as-04'), caseName: '01-defaults' });
      expect(template(chart, upstreamCase('04-release-contains-operator'))).toBe(render('04-release-contains-operator'));
      expect(() => buildUmbrellaChart({ into: join(into, '04'), caseName: '04-release-contains-operator' })).toThrow(/cannot be told apart/);
    });

    it('helm 4 renders the same objects (in its own order and spacing)', () => {
      const chart = buildUmbrellaChart({ into: join(into, '01-helm4'), caseName: '01-defaults' });
      expect(objects(template(chart, upstreamCase('01-defaults'), { helm: binaries.helm4 }))).toEqual(objects(render('01-defaults')));
    });

    it('with its nats and etcd subcharts on, the operator is pointed at their Services, under any release and namespace', () => {
      const chart = buildUmbrellaChart({ into: join(into, '01-subcharts'), caseName: '01-defaults' });
      const c = { ...upstreamCase('01-defaults'), namespace: 'adopt-x' };
      const out = template(chart, c, { release: 'dp-x', extra: [] });
      const docs = parseAllDocuments(out).map((d) => d.toJS() as { kind: string; metadata: { name: string } } | null);
      const services = docs.filter((o) => o?.kind === 'Service').map((o) => o!.metadata.name);
      expect(services).toEqual(expect.arrayContaining(['dp-x-nats', 'dp-x-etcd', 'dp-x-dynamo-operator-webhook-service']));
      expect(out).toContain('--natsAddr=nats://dp-x-nats.adopt-x.svc.cluster.local:4222');
      expect(out).toContain('--etcdAddr=dp-x-etcd.adopt-x.svc.cluster.local:2379');
      expect(out).toMatch(/^# Source: dynamo-platform\/charts\/nats\/templates\/statefulset\.yaml$/m);
      expect(out).not.toMatch(/dynamo-platform-|dynamo-system/);
    });
  });
});
