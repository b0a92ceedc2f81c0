/**
 * resolveValues: every input → one validated `Values`. Pure: the CLI reads files and stdin and hands over
 * their text.
 *
 * Precedence, lowest first (helm's order, then ours):
 *   1. defaults (templates/values.yaml)
 *   2. -f/--values files, in the order given
 *   3. --set-json, 4. --set, 5. --set-string, 6. --set-file (each in the order given)
 *   7. dedicated flags: --scope, --target-namespace, --release, -n, --operator-image/--operator-tag,
 *      --image-pull-secret, --registry, --[no-]nats/etcd/grove/kai, --fail-fast-grace
 * Maps merge key by key; lists and scalars replace. `null` unsets: in sections dynamoctl owns the default
 * comes back (a key without a default is dropped), in subchart sections the null goes to helm, which drops
 * the chart's default.
 * Then: targetNamespace defaults to the install namespace.
 * Upstream keys dynamoctl accepts but ignores (ignored-keys.ts) earn one warning when a user layer sets them.
 */
import { isTree } from './tree.ts';
import { UserError } from '../errors.ts';
import { HELM_SET_ORDER, applySetFlag, type SetFlag } from './set-flags.ts';
import { checkSchema, formatPath, type PathSegment } from './schema.ts';
import { valuesSchema, type Values } from './values-schema.ts';
import { checkValueRules } from './rules.ts';
import { ignoredKeysSet, ignoredKeysWarning } from './ignored-keys.ts';
import { isSecretKey, REDACTED } from './redact.ts';

type Tree = Record<string, unknown>;

/** One source of values, with a way to point at a key inside it. */
export interface ValuesLayer {
  /** What the user would recognise: "prod.yaml", "--set", "--scope". */
  source: string;
  values: Tree;
  /** "prod.yaml:12:5" for a key path, when the source has positions. */
  locate?: (path: readonly PathSegment[]) => string | undefined;
}

/** The dedicated flags; undefined means "not given". */
export interface ValueFlags {
  scope?: 'cluster' | 'namespace' | undefined;
  targetNamespace?: string | undefined;
  release?: string | undefined;
  namespace?: string | undefined;
  operatorImage?: string | undefined;
  operatorTag?: string | undefined;
  imagePullSecrets?: string[] | undefined;
  registry?: string | undefined;
  namespaceOnly?: boolean | undefined;
  nats?: boolean | undefined;
  etcd?: boolean | undefined;
  grove?: boolean | undefined;
  kai?: boolean | undefined;
  failFastGrace?: string | undefined;
}

export interface ValuesInput {
  /** templates/values.yaml, parsed (the CLI reads the build's JSON copy: parsing YAML at startup is slow). */
  defaults: Tree;
  /** -f files, parsed with parseValuesFile (values-file.ts), in order. */
  files: ValuesLayer[];
  sets: SetFlag[];
  /** Reads a file named by --set-file (the CLI's I/O, injected so this module stays pure). */
  readSetFile?: (path: string) => string;
  flags?: ValueFlags;
  /**
   * Receives the one warning line (no "warning: " prefix) when the user's layers set upstream keys
   * dynamoctl ignores; called at most once, and only when the values are valid. Absent: no warning.
   */
  warn?: (line: string) => void;
}

/** The dedicated flags as one more layer, each key remembering the flag that set it. */
export function flagsLayer(flags: ValueFlags): ValuesLayer {
  const values: Tree = {};
  const origins: [PathSegment[], string][] = [];
  const put = (path: string[], value: unknown, flag: string): void => {
    let node = values;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Tree;
    node[path.at(-1)!] = value;
    origins.push([path, flag]);
  };
  if (flags.scope) put(['dynamo-operator', 'namespaceRestriction', 'enabled'], flags.scope === 'namespace', '--scope');
  if (flags.targetNamespace !== undefined) put(['dynamo-operator', 'namespaceRestriction', 'targetNamespace'], flags.targetNamespace, '--target-namespace');
  if (flags.release !== undefined) put(['dynamoctl', 'release'], flags.release, '--release');
  if (flags.namespace !== undefined) put(['dynamoctl', 'namespace'], flags.namespace, '-n/--namespace');
  if (flags.operatorImage !== undefined) put(['dynamo-operator', 'controllerManager', 'manager', 'image', 'repository'], flags.operatorImage, '--operator-image');
  if (flags.operatorTag !== undefined) put(['dynamo-operator', 'controllerManager', 'manager', 'image', 'tag'], flags.operatorTag, '--operator-tag');
  if (flags.imagePullSecrets?.length) put(['dynamo-operator', 'imagePullSecrets'], flags.imagePullSecrets.map((name) => ({ name })), '--image-pull-secret');
  if (flags.registry !== undefined) put(['dynamoctl', 'registry'], flags.registry, '--registry');
  if (flags.namespaceOnly !== undefined) put(['dynamoctl', 'namespaceOnly'], flags.namespaceOnly, '--namespace-only');
  if (flags.failFastGrace !== undefined) put(['dynamoctl', 'timeouts', 'failFast'], flags.failFastGrace, '--fail-fast-grace');
  const toggles: [keyof ValueFlags, string, string][] = [
    ['nats', 'nats', '--nats/--no-nats'],
    ['etcd', 'etcd', '--etcd/--no-etcd'],
    ['grove', 'grove', '--grove/--no-grove'],
    ['kai', 'kai-scheduler', '--kai/--no-kai'],
  ];
  for (const [flag, section, name] of toggles) if (flags[flag] !== undefined) put([section, 'enabled'], flags[flag], name);
  const locate = (path: readonly PathSegment[]): string | undefined => origins.find(([p]) => p.every((s, i) => path[i] === s))?.[1];
  return { source: 'flags', values, locate };
}

/** Helm's coalescing: maps merge, everything else replaces; null is kept as "unset" for now. */
export function mergeValues(base: Tree, overlay: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isTree(value) && isTree(current) ? mergeValues(current, value) : value;
  }
  return out;
}


/** Where dynamoctl owns the keys, an unset (null) key takes its default again; one without a default goes. */
function restoreOwnedDefaults(values: Tree, defaults: Tree): Tree {
  const fill = (value: unknown, fallback: unknown): unknown => {
    if (value === null || value === undefined) return fallback;
    if (isTree(value)) {
      const base = isTree(fallback) ? fallback : {};
      const out: Tree = {};
      for (const [k, v] of Object.entries(value)) {
        const filled = fill(v, base[k]);
        if (filled !== undefined) out[k] = filled;
      }
      for (const [k, v] of Object.entries(base)) if (!(k in out)) out[k] = v;
      return out;
    }
    return value;
  };
  return { ...values, dynamoctl: fill(values.dynamoctl, defaults.dynamoctl), 'dynamo-operator': fill(values['dynamo-operator'], defaults['dynamo-operator']) };
}

/** A --set expression as errors may show it: the values of secret keys replaced. */
const shownExpr = (expr: string): string => expr.replace(/([^,=]+)=([^,]*)/g, (all, key: string) => (isSecretKey(key.split('.').at(-1) ?? '') ? `${key}=${REDACTED}` : all));

/** The layers in precedence order, lowest first. */
export function valuesLayers(input: ValuesInput): ValuesLayer[] {
  const layers: ValuesLayer[] = [{ source: 'defaults (templates/values.yaml)', values: input.defaults }, ...input.files];
  for (const kind of HELM_SET_ORDER) {
    for (const flag of input.sets.filter((s) => s.kind === kind)) {
      const values: Tree = {};
      applySetFlag(values, flag, (path) => {
        if (!input.readSetFile) throw new UserError(`--set-file "${flag.expr}": files cannot be read here`, { hint: 'use --set-string instead' });
        return input.readSetFile(path);
      });
      const shown = shownExpr(flag.expr);
      layers.push({ source: `--${kind} ${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}`, values });
    }
  }
  if (input.flags) layers.push(flagsLayer(input.flags));
  return layers;
}

/** The user's own values: every layer but the defaults, merged (what the install record keeps). */
export function userOverrides(input: ValuesInput): Tree {
  return valuesLayers(input)
    .slice(1)
    .reduce<Tree>((acc, layer) => mergeValues(acc, layer.values), {});
}

/** Merges, validates and completes the values. Throws one UserError listing every problem. */
export function resolveValues(input: ValuesInput): Values {
  const layers = valuesLayers(input);
  // the shipped defaults are valid by construction (a unit test checks them): validate the user's layers only
  const problems = layers.slice(1).flatMap((layer) =>
    checkSchema(layer.values, valuesSchema).map((issue) => {
      const where = layer.locate?.(issue.path) ?? layer.source;
      return `${where}: ${formatPath(issue.path)}: ${issue.message}`;
    }),
  );
  if (problems.length) throw invalidValues(problems);
  const merged = restoreOwnedDefaults(
    layers.reduce<Tree>((acc, layer) => mergeValues(acc, layer.values), {}),
    layers[0]!.values,
  ) as unknown as Values;
  const restriction = merged['dynamo-operator'].namespaceRestriction;
  if (!restriction.targetNamespace) restriction.targetNamespace = merged.dynamoctl.namespace;
  const ruleProblems = checkValueRules(merged);
  if (ruleProblems.length) throw invalidValues(ruleProblems);
  if (input.warn) {
    const warning = ignoredKeysWarning(ignoredKeysSet(layers.slice(1).map((layer) => layer.values)));
    if (warning) input.warn(warning);
  }
  return merged;
}

function invalidValues(problems: string[]): UserError {
  if (problems.length === 1) return new UserError(`invalid values: ${problems[0]}`, { hint: 'fix the value named above; `dynamoctl values` prints every key with its default' });
  return new UserError(`invalid values (${problems.length} problems):\n  - ${problems.join('\n  - ')}`, {
    hint: 'fix the values named above; `dynamoctl values` prints every key with its default',
  });
}
