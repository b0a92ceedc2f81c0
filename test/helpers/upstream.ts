/**
 * The upstream reference data (`../shared/upstream/`, beside the clone): renders of the real
 * dynamo-platform chart, its values files and the real CRDs. Data to compare with, never copied into the
 * repository. A clone elsewhere may lack it: tests then report themselves skipped with the path; under
 * CI=true its absence is a failure, since CI always has it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export const UPSTREAM_DIR = fileURLToPath(new URL('../../../shared/upstream/', import.meta.url));
export const PLATFORM_081_DIR = `${UPSTREAM_DIR}dynamo-platform-0.8.1/`;

/** Is the reference data here? Throws under CI, where it must be. */
export function upstreamAvailable(dir = PLATFORM_081_DIR): boolean {
  if (existsSync(dir)) return true;
  if (process.env.CI) throw new Error(`upstream reference data missing at ${dir} (CI always has ../shared beside the clone)`);
  return false;
}

/** `describe` that runs only when the reference data is present, and names the path when it skips. */
export function describeWithUpstream(name: string, body: () => void, dir = PLATFORM_081_DIR): void {
  if (upstreamAvailable(dir)) describe(name, body);
  else describe.skip(`${name} (skipped: upstream reference data not found at ${dir})`, body);
}
