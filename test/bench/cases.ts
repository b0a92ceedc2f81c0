/** The benchmark cases, as data. A case with a `peer` is reported as a ratio against it. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { binaries } from '../cluster/versions.ts';

export interface BenchCase {
  name: string;
  command: () => string[];
  /** Name of the case this one is compared with. */
  peer?: string;
  /** Highest acceptable ratio to the peer. */
  target?: number;
}

const dynamoctl = fileURLToPath(new URL('../../bin/dynamoctl', import.meta.url));

/** The Go kubectl the control-plane build produced (npm run cluster:build). */
function kubectl(): string {
  if (!existsSync(binaries.kubectl)) throw new Error(`no kubectl at ${binaries.kubectl}: run npm run cluster:build first`);
  return binaries.kubectl;
}

const fixtureChart = fileURLToPath(new URL('../fixtures/charts/nats', import.meta.url));

function helm(): string {
  if (!existsSync(binaries.helm3)) throw new Error(`no helm at ${binaries.helm3}: run npm run cluster:build first`);
  return binaries.helm3;
}

export const cases: BenchCase[] = [
  { name: 'kubectl version --client', command: () => [kubectl(), 'version', '--client'] },
  { name: 'dynamoctl --version', command: () => [process.execPath, dynamoctl, '--version'], peer: 'kubectl version --client', target: 1.5 },
  { name: 'dynamoctl --help', command: () => [process.execPath, dynamoctl, '--help'], peer: 'kubectl version --client' },
  { name: 'helm template (fixture nats chart)', command: () => [helm(), 'template', 'dynamo-platform', fixtureChart, '-n', 'dynamo-system'] },
  { name: 'dynamoctl render (cluster-wide)', command: () => [process.execPath, dynamoctl, 'render'], peer: 'helm template (fixture nats chart)', target: 1.0 },
  {
    name: 'dynamoctl render (namespace)',
    command: () => [process.execPath, dynamoctl, 'render', '--scope', 'namespace', '-n', 'team-a'],
    peer: 'helm template (fixture nats chart)',
    target: 1.0,
  },
];
