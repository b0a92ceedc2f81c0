/** The YAML emitter must read back exactly: no string can change type or escape its scalar. */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../src/render/k8s-types.ts';
import { toYaml } from '../../../src/render/serialize.ts';

const tricky = [
  '', ' ', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'true', 'False', 'null', '~', 'NULL', '0', '0123', '-1', '+1', '1.5', '1e5', '.5', '0x1F', '0o17', '0b101', '.inf', '-.Inf', '.NaN', '1_000', '12:30:00',
  'a: b', 'a:', 'key: value\nother: x', '---', '...', '- item', '? q', '# comment', 'a #b', '!tag', '&anchor', '*alias', '|', '>', '%YAML', '@at', '`tick', '{a: 1}', '[1, 2]', '"quoted"', "'single'",
  'line\nbreak', 'tab\there', 'trailing ', ' leading', 'uni\u2028code', 'emoji 🚀', 'back\\slash', 'x\n---\nkind: Secret', '{{ .Values.x }}', 'nats://a.b.svc:4222', '--flag=value', 'a,b', '/path/to', 'sha256:abc',
];

describe('toYaml', () => {
  it.each(tricky.map((s) => [JSON.stringify(s), s] as const))('reads %s back unchanged, as a key and as a value', (_label, s) => {
    const object: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { [s || 'empty']: s } }, data: { v: s }, list: [s, [s], { k: s }] };
    const docs = parseAllDocuments(toYaml([object]));
    expect(docs).toHaveLength(1);
    expect(docs[0]!.errors).toEqual([]);
    expect(docs[0]!.toJS()).toEqual(object);
  });

  it('round-trips numbers, booleans, null, empty maps and lists, nested lists of maps', () => {
    const object: KubeObject = { apiVersion: 'v1', kind: 'X', metadata: { name: 'n' }, spec: { a: 1, b: -2.5, c: true, d: null, e: {}, f: [], g: [[1, 2], [{ h: [] }]], i: [{ j: 1, k: { l: 'm' } }] } };
    expect(parseAllDocuments(toYaml([object]))[0]!.toJS()).toEqual(object);
  });
});
