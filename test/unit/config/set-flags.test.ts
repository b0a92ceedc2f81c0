import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.ts';
import { applySetFlag, parseSetFlags, type SetFlag, type SetKind } from '../../../src/config/set-flags.ts';

const files: Record<string, string> = { 'ca.pem': '-----BEGIN-----\nabc\n', 'a.txt': 'A', 'b.txt': 'B' };
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
  return text;
};

const parse = (kind: SetKind, expr: string): Record<string, unknown> => parseSetFlags([{ kind, expr }], readFile);

/** Runs `fn` and returns the UserError it throws (failing the test otherwise). */
function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('--set syntax', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a=1,b=2', { a: 1, b: 2 }],
    ['a.b.c=v', { a: { b: { c: 'v' } } }],
    ['a.b=1,a.c=2', { a: { b: 1, c: 2 } }],
    ['a\\.b=v', { 'a.b': 'v' }],
    ['a\\.b.c=v', { 'a.b': { c: 'v' } }],
    ['a=x\\,y', { a: 'x,y' }],
    ['a=b=c', { a: 'b=c' }],
    ['a\\=b=c', { 'a=b': 'c' }],
    ['a=x\\\\y', { a: 'x\\y' }],
    ['x[0].y=v', { x: [{ y: 'v' }] }],
    ['x[1]=v', { x: [null, 'v'] }],
    ['x[2]=v,x[0]=u', { x: ['u', null, 'v'] }],
    ['a[0][1]=v', { a: [[null, 'v']] }],
    ['a[0].b=1,a[2].c=2', { a: [{ b: 1 }, null, { c: 2 }] }],
    ['a[0].b[1].c=x', { a: [{ b: [null, { c: 'x' }] }] }],
    ['a={x,y,z}', { a: ['x', 'y', 'z'] }],
    ['a={x, y},b=1', { a: ['x', ' y'], b: 1 }],
    ['a={1,true,x\\,y}', { a: [1, true, 'x,y'] }],
    ['a={}', { a: [] }],
    ['a=\\{x}', { a: '{x}' }],
    ['a=', { a: '' }],
    ['a=,b=2', { a: '', b: 2 }],
    ['a=1,', { a: 1 }],
    ['a=1,a=2', { a: 2 }],
    ['a=1,a.b=2', { a: { b: 2 } }],
    ['a.b=1,a[0]=2', { a: [2] }],
    ['a = 1', { 'a ': ' 1' }],
    ['dynamo-operator.namespaceRestriction.enabled=true', { 'dynamo-operator': { namespaceRestriction: { enabled: true } } }],
    ['toString=1,hasOwnProperty.x=2', { toString: 1, hasOwnProperty: { x: 2 } }],
    ['a=ünïcødé ✓', { a: 'ünïcødé ✓' }],
    ['', {}],
  ])('%s', (expr, expected) => {
    expect(parse('set', expr)).toStrictEqual(expected);
  });
});

describe('--set typing', () => {
  it.each<[string, unknown]>([
    ['true', true],
    ['false', false],
    ['TRUE', true],
    ['False', false],
    ['null', null],
    ['NULL', null],
    ['10', 10],
    ['-3', -3],
    ['0', 0],
    ['9007199254740991', 9007199254740991],
    ['9007199254740993', '9007199254740993'],
    ['0123', '0123'],
    ['00', '00'],
    ['-0', '-0'],
    ['-01', '-01'],
    ['+1', '+1'],
    ['1e5', '1e5'],
    ['1.5', '1.5'],
    ['1.50', '1.50'],
    ['0x1F', '0x1F'],
    [' 1', ' 1'],
    ['yes', 'yes'],
    ['truex', 'truex'],
  ])('a=%s', (raw, expected) => {
    expect(parse('set', `a=${raw}`)).toStrictEqual({ a: expected });
  });
});

describe('--set-string, --set-json and --set-file', () => {
  it.each<[SetKind, string, Record<string, unknown>]>([
    ['set-string', 'a=true,b=10,c=null,d=0123', { a: 'true', b: '10', c: 'null', d: '0123' }],
    ['set-string', 'a={1,false},b=', { a: ['1', 'false'], b: '' }],
    ['set-string', 'a\\.b[1]=x\\,y', { 'a.b': [null, 'x,y'] }],
    ['set-json', 'a.b={"x":1}', { a: { b: { x: 1 } } }],
    ['set-json', 'a=[1,2]', { a: [1, 2] }],
    ['set-json', 'a={"x":[1,2],"y":"p,q"},b=[1,2] ,c="s"', { a: { x: [1, 2], y: 'p,q' }, b: [1, 2], c: 's' }],
    ['set-json', 'a="}]\\"{",b=1.5', { a: '}]"{', b: 1.5 }],
    ['set-json', 'a=true,b=null,c=-2', { a: true, b: null, c: -2 }],
    ['set-json', 'a=,b=', { a: null, b: null }],
    ['set-json', 'a[1]={"k":true}', { a: [null, { k: true }] }],
    ['set-json', 'x\\.y= [ 1 , 2 ] ', { 'x.y': [1, 2] }],
    ['set-file', 'tls.ca=ca.pem', { tls: { ca: '-----BEGIN-----\nabc\n' } }],
    ['set-file', 'a={a.txt,b.txt},b[1]=b.txt', { a: ['A', 'B'], b: [null, 'B'] }],
  ])('--%s %s', (kind, expr, expected) => {
    expect(parse(kind, expr)).toStrictEqual(expected);
  });
});

describe('malformed expressions', () => {
  it.each<[SetKind, string, string]>([
    ['set', 'a.b', '--set "a.b": missing "=" (expected key=value)'],
    ['set', 'a', '--set "a": missing "=" (expected key=value)'],
    ['set', 'a,b=1', '--set "a,b=1": missing "=" (expected key=value)'],
    ['set', 'a.', '--set "a.": missing "=" (expected key=value)'],
    ['set', 'a[0]', '--set "a[0]": missing "=" (expected key=value)'],
    ['set', '=v', '--set "=v": empty key'],
    ['set', '[0]=v', '--set "[0]=v": empty key'],
    ['set', 'a..b=1', '--set "a..b=1": empty key segment'],
    ['set', '.a=1', '--set ".a=1": empty key segment'],
    ['set', 'a.=1', '--set "a.=1": empty key segment'],
    ['set', 'a=1,,b=2', '--set "a=1,,b=2": empty assignment (a stray ",")'],
    ['set', 'a[x]=1', '--set "a[x]=1": list index must be a number, got "x"'],
    ['set', 'a[ 1]=1', '--set "a[ 1]=1": list index must be a number, got " 1"'],
    ['set', 'a[-1]=1', '--set "a[-1]=1": list index must not be negative, got -1'],
    ['set', 'a[65537]=1', '--set "a[65537]=1": list index 65537 is too large (at most 65536)'],
    ['set', 'a[1=1', '--set "a[1=1": unclosed "[" in key'],
    ['set', 'a[1]x=1', '--set "a[1]x=1": unexpected "x" after "]" (expected "[", "." or "=")'],
    ['set', 'a={x,y', '--set "a={x,y": list must end with "}"'],
    ['set', 'a={x}b=1', '--set "a={x}b=1": unexpected "b" after "}" (separate assignments with ",")'],
    ['set', 'a=x\\', '--set "a=x\\": a "\\" at the end escapes nothing'],
    ['set', '__proto__.polluted=1', '--set "__proto__.polluted=1": key "__proto__" is not allowed'],
    ['set', 'a.constructor.prototype.x=1', '--set "a.constructor.prototype.x=1": key "constructor" is not allowed'],
    ['set-string', 'a.prototype=1', '--set-string "a.prototype=1": key "prototype" is not allowed'],
    ['set', 'a\nb=1', '--set "a\\nb=1": key "a\\nb" contains a control character'],
    ['set', 'a.b\u0000=1', '--set "a.b\\u0000=1": key "b\\u0000" contains a control character'],
    ['set', `${Array.from({ length: 32 }, (_, i) => `k${i}`).join('.')}=1`, 'keys are nested more than 30 levels deep'],
    ['set-json', 'a={bad', '--set-json "a={bad": invalid JSON: '],
    ['set-json', 'a=[1,2', '--set-json "a=[1,2": invalid JSON: '],
    ['set-json', 'a=tru', '--set-json "a=tru": invalid JSON: '],
    ['set-json', "a='x'", `--set-json "a='x'": invalid JSON: `],
    ['set-json', 'a=1x=2', '--set-json "a=1x=2": invalid JSON: '],
    ['set-json', 'a=[1,2]x', '--set-json "a=[1,2]x": unexpected "x" after the JSON value (separate assignments with ",")'],
    ['set-json', 'a={"__proto__":{"x":1}}', '--set-json "a={"__proto__":{"x":1}}": key "__proto__" is not allowed'],
    ['set-json', 'a=[{"ok":{"constructor":1}}]', 'key "constructor" is not allowed'],
    ['set-json', '{"a":1}', '--set-json "{"a":1}": expected key=<json>; a whole JSON object is not accepted (as in helm 3)'],
    ['set-file', 'a=', '--set-file "a=": empty file path'],
    ['set-file', 'a=missing.txt', '--set-file "a=missing.txt": cannot read "missing.txt": ENOENT: no such file missing.txt'],
  ])('--%s %j', (kind, expr, message) => {
    const error = userError(() => parse(kind, expr));
    expect(error.message).toContain(message);
    if (message.startsWith('--')) expect(error.message.startsWith(message)).toBe(true);
    expect(error.hint).toBeTruthy();
  });

  it('hints at the key=value form with a real example', () => {
    const error = userError(() => parse('set', 'a.b'));
    expect(error.hint).toBe('use key=value, e.g. --set dynamo-operator.namespaceRestriction.enabled=true');
  });

  it('never pollutes Object.prototype', () => {
    for (const expr of ['__proto__.polluted=1', 'constructor.prototype.polluted=1', 'a[0].__proto__.polluted=1']) {
      expect(() => parse('set', expr)).toThrow(UserError);
    }
    expect(() => parse('set-json', 'a={"__proto__":{"polluted":1}}')).toThrow(UserError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('applySetFlag on an existing object', () => {
  it('merges into what is there and lets later assignments and flags win', () => {
    const target: Record<string, unknown> = { a: { keep: 1, list: ['x', 'y', 'z'] }, s: 'scalar' };
    applySetFlag(target, { kind: 'set', expr: 'a.new=2,a.list[1]=Y' });
    applySetFlag(target, { kind: 'set', expr: 's.now=map' });
    expect(target).toStrictEqual({ a: { keep: 1, new: 2, list: ['x', 'Y', 'z'] }, s: { now: 'map' } });
  });

  it('replaces a null or a list with a map when a key goes under it', () => {
    const target: Record<string, unknown> = {};
    applySetFlag(target, { kind: 'set', expr: 'a=null,b={x}' });
    applySetFlag(target, { kind: 'set', expr: 'a.x=1,b.y=2' });
    expect(target).toStrictEqual({ a: { x: 1 }, b: { y: 2 } });
  });

  it('leaves the target untouched when the expression fails part way', () => {
    const target: Record<string, unknown> = { a: 1 };
    expect(() => applySetFlag(target, { kind: 'set', expr: 'a=2,b=3,c[x]=4' })).toThrow(UserError);
    expect(target).toStrictEqual({ a: 1 });
  });
});

describe('--set-file reading', () => {
  it('passes the unescaped path to the reader', () => {
    const seen: string[] = [];
    const target: Record<string, unknown> = {};
    applySetFlag(target, { kind: 'set-file', expr: 'a=dir\\,x/f.txt' }, (path) => {
      seen.push(path);
      return 'text';
    });
    expect(seen).toEqual(['dir,x/f.txt']);
    expect(target).toStrictEqual({ a: 'text' });
  });

  it('throws without a reader', () => {
    expect(() => applySetFlag({}, { kind: 'set-file', expr: 'a=f.txt' })).toThrow(/readFile/);
  });

  it("passes the reader's own UserError through unchanged", () => {
    const own = new UserError('cannot read f.txt', { hint: 'check the path' });
    const error = userError(() =>
      applySetFlag({}, { kind: 'set-file', expr: 'a=f.txt' }, () => {
        throw own;
      }),
    );
    expect(error).toBe(own);
  });
});

describe('parseSetFlags', () => {
  it('applies kinds in helm order (json, set, string, file), each in the order given', () => {
    const flags: SetFlag[] = [
      { kind: 'set-file', expr: 'f=a.txt' },
      { kind: 'set-string', expr: 'a=3,f=string' },
      { kind: 'set', expr: 'a=1,b=1' },
      { kind: 'set-json', expr: 'a=2,b=2,c=[1]' },
      { kind: 'set', expr: 'b=later' },
    ];
    expect(parseSetFlags(flags, readFile)).toStrictEqual({ a: '3', b: 'later', c: [1], f: 'A' });
  });

  it('returns a fresh object for no flags', () => {
    expect(parseSetFlags([])).toStrictEqual({});
  });
});
