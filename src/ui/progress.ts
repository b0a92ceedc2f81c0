/**
 * Progress and prompts for long commands, behind one interface with three faces: a spinner per step on a
 * terminal, one plain line per event otherwise (CI logs), and NDJSON events on stdout with `-o json`.
 * Progress goes to stderr (except NDJSON, which is the command's data); prompts only on a terminal.
 */
import { Chalk } from 'chalk';
import { InterruptedError, UserError } from '../errors.ts';

export interface Progress {
  /** Runs `fn` as a named step: spinner or start/done lines, with its duration. */
  step<T>(title: string, fn: (update: (detail: string) => void) => Promise<T>): Promise<T>;
  /** A fact worth a line of its own (plan lines, summaries). */
  info(line: string): void;
  warn(line: string): void;
  /** Asks yes/no on a terminal; elsewhere `--yes` is required. */
  confirm(question: string): Promise<boolean>;
}

export interface ProgressOptions {
  mode: 'tty' | 'plain' | 'json';
  color: boolean;
  /** --yes: confirmations are answered yes. */
  yes: boolean;
  stderr?: NodeJS.WritableStream;
  stdout?: NodeJS.WritableStream;
}

export function createProgress(opts: ProgressOptions): Progress {
  const err = opts.stderr ?? process.stderr;
  const out = opts.stdout ?? process.stdout;
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const emit = (event: Record<string, unknown>): void => void out.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  const seconds = (start: number): string => `${((performance.now() - start) / 1000).toFixed(1)}s`;

  return {
    async step(title, fn) {
      const start = performance.now();
      if (opts.mode === 'json') {
        emit({ event: 'step', title, status: 'started' });
        try {
          const result = await fn((detail) => emit({ event: 'progress', title, detail }));
          emit({ event: 'step', title, status: 'done', seconds: Number(seconds(start).slice(0, -1)) });
          return result;
        } catch (error) {
          emit({ event: 'step', title, status: 'failed', error: (error as Error).message });
          throw error;
        }
      }
      if (opts.mode === 'plain') {
        err.write(`[start] ${title}\n`);
        try {
          const result = await fn((detail) => err.write(`        ${title}: ${detail}\n`));
          err.write(`[done]  ${title} (${seconds(start)})\n`);
          return result;
        } catch (error) {
          err.write(`[fail]  ${title} (${seconds(start)})\n`);
          throw error;
        }
      }
      const { default: ora } = await import('ora');
      const spinner = ora({ text: title, stream: err, color: 'cyan', isEnabled: true }).start();
      try {
        const result = await fn((detail) => {
          spinner.text = `${title} ${c.dim(`(${detail})`)}`;
        });
        // our own symbols: ora's are coloured regardless of --no-color
        spinner.stopAndPersist({ symbol: c.green('✔'), text: `${title} ${c.dim(seconds(start))}` });
        return result;
      } catch (error) {
        spinner.stopAndPersist({ symbol: c.red('✖'), text: `${title} ${c.dim(seconds(start))}` });
        throw error;
      }
    },
    info(line) {
      if (opts.mode === 'json') emit({ event: 'info', message: line });
      else err.write(`${line}\n`);
    },
    warn(line) {
      if (opts.mode === 'json') emit({ event: 'warning', message: line });
      else err.write(`${c.yellow('warning:')} ${line}\n`);
    },
    async confirm(question) {
      if (opts.yes) return true;
      if (opts.mode !== 'tty') throw new UserError(`${question} needs confirmation, and there is no terminal to ask on`, { hint: 'review the plan (--dry-run) and pass --yes' });
      const { confirm } = await import('@inquirer/prompts');
      try {
        return await confirm({ message: question, default: false }, { output: err as NodeJS.WriteStream });
      } catch (error) {
        if ((error as Error).name === 'ExitPromptError') throw new InterruptedError('cancelled; nothing was changed');
        throw error;
      }
    },
  };
}
