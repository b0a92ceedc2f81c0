import { stringify } from 'yaml';
import { DYNAMO_PLATFORM_VERSION, cliVersion, versionLine } from '../../version.ts';
import { requireOutput, type GlobalOptions } from '../global-options.ts';

/** `dynamoctl version`: the same facts as --version, also as JSON or YAML for scripts. */
export function runVersion(opts: GlobalOptions): void {
  const output = requireOutput(opts, ['table', 'json', 'yaml']);
  const info = { dynamoctl: cliVersion(), dynamoPlatform: DYNAMO_PLATFORM_VERSION, node: process.version };
  if (output === 'json') process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
  else if (output === 'yaml') process.stdout.write(stringify(info));
  else process.stdout.write(`${versionLine()}\n`);
}
