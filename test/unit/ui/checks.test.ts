import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/checks/types.ts';
import { checkPrinter } from '../../../src/ui/checks.ts';

const result = (over: Partial<CheckResult>): CheckResult => ({ id: 'x', category: 'kubernetes', severity: 'error', description: 'the thing holds', status: 'pass', durationMs: 1, ...over });
const results: CheckResult[] = [
  result({ id: 'api-reachable', description: 'the API server is reachable', message: 'Kubernetes v1.36.3' }),
  result({ id: 'gpu-nodes', category: 'cluster', severity: 'warning', description: 'GPU nodes exist', status: 'warn', message: 'none of the 2 nodes has GPUs', hint: 'install the device plugin' }),
  result({ id: 'crds', category: 'cluster', description: 'CRDs are installed', status: 'fail', message: '6 CRDs missing', details: ['a.nvidia.com'], hint: 'ask an admin' }),
  result({ id: 'storage-class', category: 'cluster', description: 'a default StorageClass exists', status: 'skip', message: 'you may not list StorageClasses' }),
];
const ESC = String.fromCharCode(27);
const print = (opts: Parameters<typeof checkPrinter>[0]): string => {
  const p = checkPrinter(opts);
  return results.map((r) => p.result(r)).join('') + p.summary(results);
};

describe('check output', () => {
  it('draws a grouped table with ✓ ‼ ✗ on a terminal', () => {
    expect(print({ tty: true, color: false })).toBe(
      [
        'kubernetes',
        '  ✓ the API server is reachable (Kubernetes v1.36.3)',
        'cluster',
        '  ‼ GPU nodes exist',
        '      none of the 2 nodes has GPUs',
        '      hint: install the device plugin',
        '  ✗ CRDs are installed',
        '      6 CRDs missing',
        '        a.nvidia.com',
        '      hint: ask an admin',
        '  - a default StorageClass exists (you may not list StorageClasses)',
        '',
        '1 passed, 1 warnings, 1 failed, 1 skipped',
        '',
      ].join('\n'),
    );
  });

  it('prints tagged lines with stable ids when not on a terminal', () => {
    const out = print({ tty: false, color: false });
    expect(out).toContain('[ok]   api-reachable: the API server is reachable (Kubernetes v1.36.3)\n');
    expect(out).toContain('[FAIL] crds: CRDs are installed\n');
    expect(out).not.toContain(`${ESC}[`);
  });

  it('shows only what needs attention with -o short', () => {
    const out = print({ tty: false, color: false, short: true });
    expect(out).not.toContain('api-reachable');
    expect(out).not.toContain('storage-class');
    expect(out).toContain('[warn] gpu-nodes');
    expect(out).toContain('[FAIL] crds');
  });

  it('colours glyphs only when colour is on', () => {
    expect(print({ tty: true, color: true })).toMatch(new RegExp(`${ESC}\\[3\\dm✓`));
  });
});
