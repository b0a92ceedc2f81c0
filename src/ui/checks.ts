/** Check results for people: glyphs and colour on a terminal, plain tagged lines otherwise. */
import { Chalk } from 'chalk';
import type { CheckResult } from '../checks/types.ts';

export interface CheckPrinter {
  result(r: CheckResult): string;
  summary(results: readonly CheckResult[]): string;
}

/** `short`: only warnings and failures, then the summary. */
export function checkPrinter(opts: { tty: boolean; color: boolean; short?: boolean }): CheckPrinter {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  let category = '';
  const glyph = { pass: c.green('✓'), warn: c.yellow('‼'), fail: c.red('✗'), skip: c.dim('-') };
  const tag = { pass: '[ok]  ', warn: '[warn]', fail: '[FAIL]', skip: '[skip]' };
  return {
    result(r) {
      if (opts.short && (r.status === 'pass' || r.status === 'skip')) return '';
      const lines: string[] = [];
      if (opts.tty && r.category !== category) lines.push(c.bold(r.category));
      category = r.category;
      const message = r.message ? (r.status === 'pass' || r.status === 'skip' ? c.dim(` (${r.message})`) : '') : '';
      lines.push(opts.tty ? `  ${glyph[r.status]} ${r.description}${message}` : `${tag[r.status]} ${r.id}: ${r.description}${r.message && (r.status === 'pass' || r.status === 'skip') ? ` (${r.message})` : ''}`);
      if (r.status === 'fail' || r.status === 'warn') {
        const pad = opts.tty ? '      ' : '       ';
        lines.push(`${pad}${r.message ?? ''}`, ...(r.details ?? []).map((d) => `${pad}  ${d}`));
        if (r.hint) lines.push(`${pad}${c.cyan('hint:')} ${r.hint}`);
      }
      return `${lines.join('\n')}\n`;
    },
    summary(results) {
      const count = (s: CheckResult['status']): number => results.filter((r) => r.status === s).length;
      const line = `${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`;
      return `\n${count('fail') ? c.red(line) : count('warn') ? c.yellow(line) : c.green(line)}\n`;
    },
  };
}
