/** `dynamoctl render`: values → the operator's manifests on stdout (or files), touching no cluster. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactValues } from '../../config/redact.ts';
import { resolveValues } from '../../config/resolve.ts';
import type { Values } from '../../config/values-schema.ts';
import { renderManifests, type Material } from '../../render/index.ts';
import type { KubeObject } from '../../render/k8s-types.ts';
import { NON_SENSITIVE_SECRETS, PLACEHOLDER } from '../../render/operator.ts';
import { toJsonList, toYaml } from '../../render/serialize.ts';
import { UserError } from '../../errors.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../version.ts';
import { requireOutput, type GlobalOptions } from '../global-options.ts';
import { readValuesInput, type RawValuesOptions } from '../values-options.ts';

export interface RenderOptions extends RawValuesOptions {
  showValues?: boolean;
  includeSecrets?: boolean;
  outputDir?: string;
  apiVersions?: string[];
}

/** Generates the webhook certificate and the MPI key (only for --include-secrets: render is otherwise deterministic). */
export async function generateMaterial(values: Values): Promise<Material> {
  const { materialFor } = await import('../../secrets/material.ts');
  return (await materialFor(values)).material;
}

/** Secret payloads become a placeholder: render output is safe to paste into a ticket. */
export function redactSecrets(objects: KubeObject[]): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Secret' || NON_SENSITIVE_SECRETS.has(o.metadata.name)) return o;
    const blank = (m: unknown) => (m && typeof m === 'object' ? Object.fromEntries(Object.keys(m).map((k) => [k, PLACEHOLDER])) : m);
    return { ...o, ...(o.data ? { data: blank(o.data) } : {}), ...(o.stringData ? { stringData: blank(o.stringData) } : {}) };
  });
}

export async function runRender(opts: RenderOptions, global: GlobalOptions): Promise<void> {
  const output = requireOutput(global, ['table', 'yaml', 'json']);
  const values = resolveValues(await readValuesInput(opts, global.namespace));
  if (opts.showValues) {
    const shown = redactValues(values);
    const { valuesToYaml } = await import('../../config/values-file.ts');
    process.stdout.write(output === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : valuesToYaml(shown));
    return;
  }
  const material = opts.includeSecrets ? await generateMaterial(values) : undefined;
  const rendered = renderManifests(values, { apiVersions: opts.apiVersions ?? [] }, material, DYNAMO_PLATFORM_VERSION);
  const objects = opts.includeSecrets ? rendered : redactSecrets(rendered);
  if (opts.outputDir) {
    writeFiles(opts.outputDir, objects, output === 'json');
    return;
  }
  process.stdout.write(output === 'json' ? toJsonList(objects) : toYaml(objects));
}

function writeFiles(dir: string, objects: KubeObject[], json: boolean): void {
  try {
    mkdirSync(dir, { recursive: true });
    objects.forEach((o, i) => {
      const file = join(dir, `${String(i).padStart(2, '0')}-${o.kind.toLowerCase()}-${o.metadata.name}.${json ? 'json' : 'yaml'}`);
      writeFileSync(file, json ? toJsonList([o]) : toYaml([o]));
    });
  } catch (error) {
    throw new UserError(`--output-dir ${dir}: cannot write (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { hint: 'choose a writable directory' });
  }
  process.stderr.write(`wrote ${objects.length} files to ${dir}\n`);
}
