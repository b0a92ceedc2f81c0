import { readFileSync } from 'node:fs';
import { packageRoot } from './package-root.ts';

/**
 * The Dynamo platform release dynamoctl installs: the operator image tag, the `dynamo-crds` chart and the
 * subchart pins all follow it. One place to bump.
 */
export const DYNAMO_PLATFORM_VERSION = '0.8.1';

/** dynamoctl's own version, read from the package.json shipped beside dist/ and src/. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('package.json', packageRoot()), 'utf8')) as { version: string };
  return pkg.version;
}

/** The line `dynamoctl --version` prints and bug reports quote. */
export function versionLine(): string {
  return `dynamoctl ${cliVersion()} (Dynamo platform ${DYNAMO_PLATFORM_VERSION})`;
}
