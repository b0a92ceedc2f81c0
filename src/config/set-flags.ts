/**
 * Helm-compatible `--set`, `--set-string`, `--set-json` and `--set-file` parsing. Pure: no I/O (the caller
 * hands in a `readFile` for `--set-file`), only data in and data out, never evaluated.
 *
 * The grammar follows Helm 3's `strvals` package (checked against helm 3.22):
 *   - an expression is a comma-separated list of `key=value` assignments; a trailing comma is allowed;
 *   - a key is a dotted path `a.b.c`; `name[i]` indexes a list (grown to fit, gaps filled with `null`),
 *     indices chain (`a[0][1]`) and continue with a dot (`a[0].b`);
 *   - a backslash escapes the next character in keys and plain values: `a\.b=v` sets the key `a.b`,
 *     `a=x\,y` sets `"x,y"`; only the first unescaped `=` ends the key, so `a=b=c` sets `"b=c"`;
 *   - `a={x,y,z}` is a list (not for `--set-json`, where `{` starts a JSON object);
 *   - `--set` types each scalar: `true`/`false` (any case) are booleans, `null` (any case) is `null` (which
 *     later removes the key when merged over a chart's defaults), canonical integers are numbers, and
 *     everything else, including `a=` (empty), stays a string. Floats such as `1.5` stay strings, as in helm;
 *   - `--set-string` keeps every value a string, `"true"`, `"10"` and `"null"` included;
 *   - `--set-json` parses the text after the `=` as one JSON value (which may contain commas); an empty value
 *     is `null`. Assignments are separated by commas outside the JSON value;
 *   - `--set-file` sets the contents of the file named by the value (the list form reads several files).
 *   - across flags helm applies --set-json, then --set, then --set-string, then --set-file; later wins.
 *
 * Deliberate differences from helm, all stricter or less surprising, never silently different data:
 *   - integers are only numbers when canonical and exact: helm turns `+1`, `-0`, `-01` and integers beyond
 *     2^53 into int64s; here they stay strings (a JavaScript number would change them or lose digits);
 *   - a key under a value that is not a map (or a list, for `[i]`) replaces it, whether it came from an
 *     earlier flag or the same one (`--set a=1 --set a.b=2` gives `{a: {b: 2}}`); helm fails with an
 *     "interface conversion" error instead;
 *   - empty keys (`=v`, `a..b=1`, `[0]=1`), a trailing backslash, text after a `}` list or a JSON value
 *     that is not a comma, a negative index and an empty `--set-file` path are errors; helm ignores or
 *     mis-parses some of them;
 *   - `a={}` is an empty list; helm gives `[""]`;
 *   - the keys `__proto__`, `constructor` and `prototype` (also inside `--set-json` objects) and keys with
 *     control characters are refused;
 *   - an expression is parsed in full before anything is written: a failing flag leaves `target` untouched;
 *   - helm 4's whole-object form `--set-json '{"a":1}'` is refused, as helm 3 does.
 * Limits as in helm: list indices up to 65536, at most 30 nested dotted keys.
 */
import { DynamoctlError, UserError } from '../errors.ts';

/** Which helm flag an expression came from. */
export type SetKind = 'set' | 'set-string' | 'set-json' | 'set-file';

/** One `--set*` flag as typed: `expr` is the text after the flag, e.g. `"a.b=1,c[0].d=x"`. */
export interface SetFlag {
  kind: SetKind;
  expr: string;
}

/** The order in which helm applies the kinds, lowest precedence first; flags of one kind keep their order. */
export const HELM_SET_ORDER: readonly SetKind[] = ['set-json', 'set', 'set-string', 'set-file'];

/** The largest list index accepted (helm's limit): protects against giant arrays. */
export const MAX_LIST_INDEX = 65536;

/** The most dots one key path may have (helm's limit). */
export const MAX_NESTED_KEYS = 30;

/**
 * Applies one flag expression onto `target`, mutating it. Assignments apply left to right, so a later one
 * wins. For `set-file`, `readFile(path)` returns the file's contents; the caller does the I/O, and a
 * `DynamoctlError` it throws passes through unchanged (anything else becomes a `UserError`).
 *
 * @throws UserError naming the flag and the expression when it is malformed; `target` is then unchanged.
 */
export function applySetFlag(target: Record<string, unknown>, flag: SetFlag, readFile?: (path: string) => string): void {
  for (const assignment of parseAssignments(flag, readFile)) assign(target, assignment);
}

/**
 * Folds many flags onto a fresh object in helm's order: all `--set-json` first, then `--set`, `--set-string`
 * and `--set-file` (see {@link HELM_SET_ORDER}); flags of the same kind apply in the order given.
 */
export function parseSetFlags(flags: readonly SetFlag[], readFile?: (path: string) => string): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  const rank = (flag: SetFlag): number => HELM_SET_ORDER.indexOf(flag.kind);
  for (const flag of [...flags].sort((a, b) => rank(a) - rank(b))) applySetFlag(target, flag, readFile);
  return target;
}

type Segment = { type: 'key'; name: string } | { type: 'index'; index: number };

interface Assignment {
  path: Segment[];
  value: unknown;
}

/** The parser's position in one flag's expression. */
interface Cursor {
  readonly flag: SetFlag;
  readonly text: string;
  pos: number;
  readonly readFile: ((path: string) => string) | undefined;
}

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;
const CANONICAL_INTEGER = /^(?:0|-?[1-9]\d*)$/;

const HINTS: Record<SetKind, string> = {
  set: 'use key=value, e.g. --set dynamo-operator.namespaceRestriction.enabled=true',
  'set-string': 'use key=value, e.g. --set-string dynamo-operator.controllerManager.manager.image.tag=0123',
  'set-json': `use key=<json>, e.g. --set-json 'dynamo-operator.controllerManager.tolerations=[{"operator":"Exists"}]'`,
  'set-file': 'use key=path, e.g. --set-file some.key=./file.txt',
};
const ESCAPE_HINT = 'a backslash escapes the next character: write a literal "." "," "=" "[" or "\\" in a key as "\\.", "\\,", "\\=", "\\[" or "\\\\"';
const INDEX_HINT = `list indices are whole numbers from 0 to ${MAX_LIST_INDEX}, e.g. list[0].name=x`;

/** Reads every assignment of the expression (and any --set-file contents) before anything is written. */
function parseAssignments(flag: SetFlag, readFile: ((path: string) => string) | undefined): Assignment[] {
  const cur: Cursor = { flag, text: flag.expr, pos: 0, readFile };
  if (flag.kind === 'set-json' && flag.expr.trimStart().startsWith('{')) {
    fail(cur, 'expected key=<json>; a whole JSON object is not accepted (as in helm 3)');
  }
  const assignments: Assignment[] = [];
  while (cur.pos < cur.text.length) {
    const path = parsePath(cur);
    assignments.push({ path, value: parseValue(cur) });
  }
  return assignments;
}

// ---------------------------------------------------------------------------------------------- keys

/** Reads a key path up to and including its `=`. */
function parsePath(cur: Cursor): Segment[] {
  const path: Segment[] = [];
  let dots = 0;
  for (;;) {
    const { text: name, stop } = readUntil(cur, '=[,.');
    if (stop === undefined || stop === ',') {
      if (name === '' && path.length === 0 && stop === ',') fail(cur, 'empty assignment (a stray ",")');
      fail(cur, 'missing "=" (expected key=value)');
    }
    if (name === '') fail(cur, path.length === 0 && stop !== '.' ? 'empty key' : 'empty key segment', ESCAPE_HINT);
    checkKey(cur, name);
    path.push({ type: 'key', name });
    if (stop === '=') return path;
    if (stop === '[' && parseIndices(cur, path) === '=') return path;
    dots += 1;
    if (dots > MAX_NESTED_KEYS) fail(cur, `keys are nested more than ${MAX_NESTED_KEYS} levels deep`);
  }
}

/** Reads `[i]`, `[i][j]`… (the first `[` already consumed) and the `=` or `.` after them. */
function parseIndices(cur: Cursor, path: Segment[]): '=' | '.' {
  for (;;) {
    path.push({ type: 'index', index: parseIndex(cur) });
    const next = cur.text[cur.pos];
    if (next === undefined) fail(cur, 'missing "=" (expected key=value)');
    cur.pos += 1;
    if (next === '=' || next === '.') return next;
    if (next !== '[') fail(cur, `unexpected ${quote(next)} after "]" (expected "[", "." or "=")`, INDEX_HINT);
  }
}

/** Reads the number of a list index and its `]`. */
function parseIndex(cur: Cursor): number {
  const { text, stop } = readUntil(cur, ']');
  if (stop === undefined) fail(cur, 'unclosed "[" in key', INDEX_HINT);
  if (/^-\d+$/.test(text)) fail(cur, `list index must not be negative, got ${text}`, INDEX_HINT);
  if (!/^\d+$/.test(text)) fail(cur, `list index must be a number, got ${quote(text)}`, INDEX_HINT);
  const index = Number(text);
  if (index > MAX_LIST_INDEX) fail(cur, `list index ${text} is too large (at most ${MAX_LIST_INDEX})`, INDEX_HINT);
  return index;
}

/** Refuses keys that could reach an object's prototype, and keys with control characters. */
function checkKey(cur: Cursor, name: string): void {
  if (FORBIDDEN_KEYS.has(name)) fail(cur, `key ${quote(name)} is not allowed`, 'this name is reserved and cannot be used as a value key');
  if (CONTROL_CHARACTER.test(name)) fail(cur, `key ${quote(name)} contains a control character`, 'keys cannot contain newlines, tabs or other control characters');
}

// -------------------------------------------------------------------------------------------- values

/** Reads one value after the `=`, and the `,` that ends it, if any. */
function parseValue(cur: Cursor): unknown {
  switch (cur.flag.kind) {
    case 'set':
      return parsePlainValue(cur, typedScalar);
    case 'set-string':
      return parsePlainValue(cur, (raw) => raw);
    case 'set-file':
      return parsePlainValue(cur, (raw) => readValueFile(cur, raw));
    case 'set-json':
      return parseJsonValue(cur);
    default:
      throw new Error(`unknown set flag kind ${JSON.stringify((cur.flag as { kind: unknown }).kind)}`);
  }
}

/** A scalar up to the next unescaped comma, or a `{x,y}` list; `convert` turns each piece into a value. */
function parsePlainValue(cur: Cursor, convert: (raw: string) => unknown): unknown {
  if (cur.text[cur.pos] === '{') {
    cur.pos += 1;
    return parseList(cur, convert);
  }
  return convert(readUntil(cur, ',').text);
}

/** The items of a `{x,y,z}` list (the `{` already consumed), and the `,` after the `}`. */
function parseList(cur: Cursor, convert: (raw: string) => unknown): unknown[] {
  const items: unknown[] = [];
  if (cur.text[cur.pos] === '}') {
    cur.pos += 1;
  } else {
    for (;;) {
      const { text, stop } = readUntil(cur, ',}');
      if (stop === undefined) fail(cur, 'list must end with "}"', 'write a list as key={a,b,c}; escape a literal "," or "}" in an item with a backslash');
      items.push(convert(text));
      if (stop === '}') break;
    }
  }
  endOfValue(cur, '"}"');
  return items;
}

/**
 * helm's typing for `--set`: booleans and null in any case, integers only when canonical and exactly
 * representable; everything else (floats, `0123`, `1e5`, `+1`, `0x1F`, huge integers) stays a string.
 */
function typedScalar(raw: string): unknown {
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  if (/^null$/i.test(raw)) return null;
  if (CANONICAL_INTEGER.test(raw)) {
    const n = Number(raw);
    if (Number.isSafeInteger(n)) return n;
  }
  return raw;
}

/** The contents of a --set-file path, through the caller's reader. */
function readValueFile(cur: Cursor, path: string): string {
  if (cur.readFile === undefined) throw new Error(`--set-file ${quote(cur.flag.expr)}: applySetFlag needs a readFile function`);
  if (path === '') fail(cur, 'empty file path');
  try {
    return cur.readFile(path);
  } catch (error) {
    if (error instanceof DynamoctlError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError(`${prefix(cur.flag)}: cannot read ${quote(path)}: ${reason}`, { hint: 'check the path after "="', cause: error });
  }
}

/** A JSON value after the `=`: blank means null; the value's extent is found by bracket and quote matching. */
function parseJsonValue(cur: Cursor): unknown {
  skipWhitespace(cur);
  if (cur.pos >= cur.text.length || cur.text[cur.pos] === ',') {
    endOfValue(cur, 'the value');
    return null;
  }
  const end = jsonExtent(cur.text, cur.pos);
  let value: unknown;
  try {
    value = JSON.parse(cur.text.slice(cur.pos, end));
  } catch (error) {
    fail(cur, `invalid JSON: ${error instanceof Error ? error.message : String(error)}`, HINTS['set-json']);
  }
  checkJsonKeys(cur, value);
  cur.pos = end;
  skipWhitespace(cur);
  endOfValue(cur, 'the JSON value');
  return value;
}

/** Where the JSON value starting at `start` ends: its closing bracket or quote, or the next comma or blank. */
function jsonExtent(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return stringEnd(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = start; i < text.length; i += 1) {
      const ch = text[i];
      if (ch === '"') i = stringEnd(text, i) - 1;
      else if (ch === '{' || ch === '[') depth += 1;
      else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
    }
    return text.length;
  }
  let i = start;
  while (i < text.length && text[i] !== ',' && !/\s/.test(text[i] ?? '')) i += 1;
  return i;
}

/** The index just after the JSON string whose opening quote is at `quoteAt` (or the text's end). */
function stringEnd(text: string, quoteAt: number): number {
  for (let i = quoteAt + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** Applies the key rules to every object key inside a parsed JSON value (iteratively: no recursion limit). */
function checkJsonKeys(cur: Cursor, value: unknown): void {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) pending.push(...node);
    else if (isPlainObject(node)) {
      for (const [key, child] of Object.entries(node)) {
        checkKey(cur, key);
        pending.push(child);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------- text

/**
 * Reads up to the first unescaped character of `stops`, which is consumed and returned as `stop`
 * (`undefined` at the end of the text). A backslash makes the next character literal.
 */
function readUntil(cur: Cursor, stops: string): { text: string; stop: string | undefined } {
  let out = '';
  while (cur.pos < cur.text.length) {
    const ch = cur.text[cur.pos] ?? '';
    cur.pos += 1;
    if (ch === '\\') {
      if (cur.pos >= cur.text.length) fail(cur, 'a "\\" at the end escapes nothing', ESCAPE_HINT);
      out += cur.text[cur.pos] ?? '';
      cur.pos += 1;
    } else if (stops.includes(ch)) {
      return { text: out, stop: ch };
    } else {
      out += ch;
    }
  }
  return { text: out, stop: undefined };
}

/** After a value: the end of the text, or a `,` (consumed) before the next assignment. */
function endOfValue(cur: Cursor, what: string): void {
  const next = cur.text[cur.pos];
  if (next === undefined) return;
  if (next !== ',') fail(cur, `unexpected ${quote(next)} after ${what} (separate assignments with ",")`);
  cur.pos += 1;
}

function skipWhitespace(cur: Cursor): void {
  while (cur.pos < cur.text.length && /\s/.test(cur.text[cur.pos] ?? '')) cur.pos += 1;
}

// ------------------------------------------------------------------------------------------- writing

/** Writes one value at its path, creating (or replacing non-matching) maps and lists on the way. */
function assign(target: Record<string, unknown>, { path, value }: Assignment): void {
  let container: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < path.length - 1; i += 1) {
    const segment = path[i] as Segment;
    const existing = readSlot(container, segment);
    let child: Record<string, unknown> | unknown[];
    if (path[i + 1]?.type === 'index') child = Array.isArray(existing) ? existing : [];
    else child = isPlainObject(existing) ? existing : {};
    writeSlot(container, segment, child);
    container = child;
  }
  writeSlot(container, path[path.length - 1] as Segment, value);
}

function readSlot(container: Record<string, unknown> | unknown[], segment: Segment): unknown {
  if (segment.type === 'index') return Array.isArray(container) ? container[segment.index] : undefined;
  return !Array.isArray(container) && Object.hasOwn(container, segment.name) ? container[segment.name] : undefined;
}

/** Sets a key, or a list index (growing the list with nulls, as helm does). */
function writeSlot(container: Record<string, unknown> | unknown[], segment: Segment, value: unknown): void {
  if (segment.type === 'index') {
    if (!Array.isArray(container)) throw new Error('set-flags: index segment on a map');
    while (container.length < segment.index) container.push(null);
    container[segment.index] = value;
  } else {
    if (Array.isArray(container)) throw new Error('set-flags: key segment on a list');
    container[segment.name] = value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// -------------------------------------------------------------------------------------------- errors

function prefix(flag: SetFlag): string {
  return `--${flag.kind} ${quote(flag.expr)}`;
}

/** Double-quotes text for a message, showing control characters as escapes and cutting long text. */
function quote(text: string): string {
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  const escaped = shown.replace(/[\p{Cc}\u2028\u2029]/gu, (ch) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

function fail(cur: Cursor, problem: string, hint: string = HINTS[cur.flag.kind]): never {
  throw new UserError(`${prefix(cur.flag)}: ${problem}`, { hint });
}
