/**
 * Renders the engine's events (src/engine/events.ts) in three faces: a spinner per step on a terminal, one
 * plain line per event otherwise (CI logs), and NDJSON on stdout with `-o json`. Progress goes to stderr
 * (except NDJSON, which is the command's data); prompts only on a terminal. Commands use `step`, `info` and
 * `warn` for their own lines, which become the same events.
 */
import { Chalk } from 'chalk';
import ora, { type Ora } from 'ora';
import { step as engineStep, type EngineEvent } from '../engine/events.ts';
import { planLines, type PlanView } from '../engine/describe.ts';
import { InterruptedError, UserError } from '../errors.ts';

export interface Progress {
  /** Renders one engine event. */
  emit(event: EngineEvent): void;
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

/** The plan as shown before the confirmation. */
export function planText(view: PlanView): string {
  const where = `${view.release} in ${view.namespace} (${view.scope === 'cluster' ? 'cluster-wide' : `restricted to ${view.targetNamespace}`})`;
  return view.empty ? `Plan for ${where}: nothing to change` : `Plan for ${where}:\n${planLines(view).join('\n')}`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const err = opts.stderr ?? process.stderr;
  const out = opts.stdout ?? process.stdout;
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const json = (event: Record<string, unknown>): void => void out.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  const spinners = new Map<string, Ora>();

  const render = (e: EngineEvent): void => {
    if (opts.mode === 'json') {
      if (e.type === 'step') json({ event: e.status === 'progress' ? 'progress' : 'step', ...e, type: undefined });
      else if (e.type === 'plan') json({ event: 'plan', plan: e.plan });
      else json({ event: e.type, message: e.message });
      return;
    }
    if (e.type === 'info') return void err.write(`${e.message}\n`);
    if (e.type === 'warning') return void err.write(`${c.yellow('warning:')} ${e.message}\n`);
    if (e.type === 'plan') return void err.write(`${planText(e.plan)}\n`);
    if (opts.mode === 'plain') {
      if (e.status === 'started') err.write(`[start] ${e.title}\n`);
      else if (e.status === 'progress') err.write(`        ${e.title}: ${e.detail}\n`);
      else if (e.status === 'done') err.write(`[done]  ${e.title} (${e.seconds.toFixed(1)}s)\n`);
      else err.write(`[fail]  ${e.title} (${e.seconds.toFixed(1)}s)\n`);
      return;
    }
    if (e.status === 'started') return void spinners.set(e.title, ora({ text: e.title, stream: err, color: 'cyan', isEnabled: true }).start());
    const spinner = spinners.get(e.title);
    if (!spinner) return;
    if (e.status === 'progress') spinner.text = `${e.title} ${c.dim(`(${e.detail})`)}`;
    else {
      // our own symbols: ora's are coloured regardless of --no-color
      const ok = e.status === 'done';
      spinner.stopAndPersist({ symbol: ok ? c.green('✔') : c.red('✖'), text: `${e.title} ${c.dim(`${e.seconds.toFixed(1)}s`)}` });
      spinners.delete(e.title);
    }
  };

  return {
    emit: render,
    step: (title, fn) => engineStep(render, title, fn),
    info: (message) => render({ type: 'info', message }),
    warn: (message) => render({ type: 'warning', message }),
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
