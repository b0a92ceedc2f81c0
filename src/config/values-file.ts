/** Values files: YAML text ↔ values. Separate from resolve.ts so the yaml library loads only when needed. */
import { LineCounter, isMap, parseDocument, stringify, type Document } from 'yaml';
import { UserError } from '../errors.ts';
import type { PathSegment } from './schema.ts';
import type { ValuesLayer } from './resolve.ts';

type Tree = Record<string, unknown>;

/** Parses one values file. YAML errors name the file, line and column. */
export function parseValuesFile(name: string, text: string): ValuesLayer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, strict: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `${name}:${pos.line}:${pos.col}` : name;
    throw new UserError(`${where}: invalid YAML: ${error.message.split(/ at line \d+|\n/)[0]}`, { hint: `fix the YAML syntax in ${name}` });
  }
  const values: unknown = doc.toJS({ maxAliasCount: 100 });
  if (values === null || values === undefined) return { source: name, values: {} };
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new UserError(`${name}: a values file must be a map of keys, got ${Array.isArray(values) ? 'a list' : typeof values}`, {
      hint: 'start the file with top-level keys such as dynamo-operator: or nats:',
    });
  }
  return { source: name, values: values as Tree, locate: (path) => locateIn(doc, lineCounter, name, path) };
}

function locateIn(doc: Document, lines: LineCounter, name: string, path: readonly PathSegment[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const parent = n > 1 ? doc.getIn(path.slice(0, n - 1), true) : doc.contents;
    const key = path[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
      if (range) {
        const { line, col } = lines.linePos(range[0]);
        return `${name}:${line}:${col}`;
      }
    }
  }
  return undefined;
}

/** Values as YAML, for --show-values. */
export function valuesToYaml(values: unknown): string {
  return stringify(values, { lineWidth: 0 });
}
