/** `dynamoctl values`: the defaults, commented (YAML), or as JSON for tools. */
import { requireOutput, type GlobalOptions } from '../global-options.ts';
import { readDefaults, readDefaultsText } from '../values-options.ts';

export async function runValues(global: GlobalOptions): Promise<void> {
  const output = requireOutput(global, ['table', 'yaml', 'json']);
  const text = readDefaultsText();
  process.stdout.write(output === 'json' ? `${JSON.stringify(await readDefaults(), null, 2)}\n` : text);
}
