/**
 * The values flags shared by render, check and install (helm-compatible, plus dedicated flags), and the
 * reading of everything they name. This is the I/O edge of values: config/ stays pure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UserError } from '../errors.ts';
import { packageRoot } from '../package-root.ts';
import type { ValueFlags, ValuesInput } from '../config/resolve.ts';
import type { SetFlag } from '../config/set-flags.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addValuesOptions(command: Command): Command {
  return command
    .optionsGroup('Values (helm-compatible; later wins):')
    .option('-f, --values <file>', 'values file, repeatable; - reads standard input', collect)
    .option('--set <key=value>', 'set values (a.b=1,c[0]=x); repeatable', collect)
    .option('--set-string <key=value>', 'set values as strings; repeatable', collect)
    .option('--set-json <key=json>', 'set values from JSON; repeatable', collect)
    .option('--set-file <key=path>', "set a value to a file's contents; repeatable", collect)
    .optionsGroup('Common choices (override the values above):')
    .addOption(new Option('--scope <scope>', 'cluster: one operator for the cluster; namespace: an operator for one namespace').choices(['cluster', 'namespace']))
    .option('--target-namespace <ns>', 'namespace a namespace-scoped operator manages (default: the install namespace)')
    .option('--release <name>', 'release name (default: dynamo-platform)')
    .option('--operator-image <repository>', 'operator image repository')
    .option('--operator-tag <tag>', 'operator image tag (default: the Dynamo platform version)')
    .option('--image-pull-secret <name>', 'pull secret for the operator pod; repeatable', collect)
    .option('--registry <host[/path]>', 'pull every image (operator and subcharts) from this registry mirror')
    .option('--namespace-only', 'namespace mode with no cluster-scoped objects (for namespace admins; no webhook)')
    .option('--nats', 'install NATS (default)')
    .option('--no-nats', 'do not install NATS (set dynamo-operator.natsAddr to yours)')
    .option('--etcd', 'install etcd (default)')
    .option('--no-etcd', 'do not install etcd (set dynamo-operator.etcdAddr to yours)')
    .option('--grove', 'install Grove')
    .option('--no-grove', 'do not install Grove (default)')
    .option('--kai', 'install the Kai scheduler')
    .option('--no-kai', 'do not install the Kai scheduler (default)');
}

export interface RawValuesOptions {
  values?: string[];
  set?: string[];
  setString?: string[];
  setJson?: string[];
  setFile?: string[];
  scope?: 'cluster' | 'namespace';
  targetNamespace?: string;
  release?: string;
  operatorImage?: string;
  operatorTag?: string;
  imagePullSecret?: string[];
  registry?: string;
  namespaceOnly?: boolean;
  nats?: boolean;
  etcd?: boolean;
  grove?: boolean;
  kai?: boolean;
  failFastGrace?: string;
}

/** The commented defaults, as shipped. */
export function readDefaultsText(): string {
  return readFileSync(new URL('templates/values.yaml', packageRoot()), 'utf8');
}

/**
 * The defaults, parsed. The build writes dist/defaults.json from templates/values.yaml (a test keeps the
 * two equal), so the CLI does not parse YAML on every start; running from source parses the YAML.
 */
export async function readDefaults(): Promise<Record<string, unknown>> {
  const built = new URL('dist/defaults.json', packageRoot());
  if (existsSync(built)) return JSON.parse(readFileSync(built, 'utf8')) as Record<string, unknown>;
  const { parseValuesFile } = await import('../config/values-file.ts');
  return parseValuesFile('templates/values.yaml', readDefaultsText()).values;
}

function readInputFile(path: string, flag: string, stdin: () => string): string {
  if (path === '-') return stdin();
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : String(code ?? error);
    throw new UserError(`${flag} ${path}: cannot read the file (${why})`, { hint: 'check the path' });
  }
}

/** Reads every file the flags name and assembles the pure input of resolveValues. */
export async function readValuesInput(raw: RawValuesOptions, namespace: string | undefined, stdin: () => string = () => readFileSync(0, 'utf8')): Promise<ValuesInput> {
  let stdinUsed = false;
  const once = (): string => {
    if (stdinUsed) throw new UserError('standard input (-) can be read only once', { hint: 'pass "-f -" at most once' });
    stdinUsed = true;
    return stdin();
  };
  const texts = (raw.values ?? []).map((path) => ({ name: path === '-' ? '<stdin>' : path, text: readInputFile(path, '-f', once) }));
  const files = texts.length ? await import('../config/values-file.ts').then(({ parseValuesFile }) => texts.map((f) => parseValuesFile(f.name, f.text))) : [];
  const sets: SetFlag[] = [
    ...(raw.setJson ?? []).map((expr) => ({ kind: 'set-json' as const, expr })),
    ...(raw.set ?? []).map((expr) => ({ kind: 'set' as const, expr })),
    ...(raw.setString ?? []).map((expr) => ({ kind: 'set-string' as const, expr })),
    ...(raw.setFile ?? []).map((expr) => ({ kind: 'set-file' as const, expr })),
  ];
  const flags: ValueFlags = {
    scope: raw.scope,
    targetNamespace: raw.targetNamespace,
    release: raw.release,
    namespace,
    operatorImage: raw.operatorImage,
    operatorTag: raw.operatorTag,
    imagePullSecrets: raw.imagePullSecret,
    registry: raw.registry,
    namespaceOnly: raw.namespaceOnly,
    nats: raw.nats,
    etcd: raw.etcd,
    grove: raw.grove,
    kai: raw.kai,
    failFastGrace: raw.failFastGrace,
  };
  return {
    defaults: await readDefaults(),
    files,
    sets,
    readSetFile: (path) => readInputFile(path, '--set-file', once),
    flags,
    // a warning, not data: stderr, so stdout stays the command's output
    warn: (line) => void process.stderr.write(`warning: ${line}\n`),
  };
}
