/**
 * A real pseudo-terminal for end-to-end prompt tests: tmux runs the command in a detached session on a
 * private server; tests read the screen and send keys as a person would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SERVER = `dynamoctl-test-${process.pid}`;
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// UTF-8 whatever the machine's locale: prompts draw ✔ and ❯, and tests read them back
const TMUX_ENV = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

function tmux(args: string[]): string {
  const r = spawnSync('tmux', ['-u', '-L', SERVER, ...args], { encoding: 'utf8', env: TMUX_ENV });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export class Terminal {
  private readonly name: string;
  private readonly exitFile: string;

  private constructor(name: string, exitFile: string) {
    this.name = name;
    this.exitFile = exitFile;
  }

  /** Starts `command` in `cwd` with `env` added, on a 200×60 terminal. */
  static start(name: string, command: readonly string[], opts: { cwd: string; env: Record<string, string> }): Terminal {
    const exitFile = join(opts.cwd, `.${name}.exit`);
    const script = join(opts.cwd, `.${name}.sh`);
    const exports = Object.entries(opts.env).map(([k, v]) => `export ${k}=${quote(v)}`);
    // the pane stays after the command so its last screen can still be read
    writeFileSync(script, [...exports, `cd ${quote(opts.cwd)}`, `${command.map(quote).join(' ')}`, `echo $? > ${quote(exitFile)}`, 'sleep 600', ''].join('\n'));
    tmux(['new-session', '-d', '-s', name, '-x', '200', '-y', '60', `sh ${quote(script)}`]);
    return new Terminal(name, exitFile);
  }

  /** Everything the terminal showed, scrollback included, as plain text. */
  screen(): string {
    return tmux(['capture-pane', '-p', '-J', '-t', this.name, '-S', '-2000']);
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const shown = this.screen();
      if (pattern.test(shown)) return shown;
      if (existsSync(this.exitFile) || Date.now() > deadline) throw new Error(`waited for ${pattern} in vain; the terminal shows:\n${shown}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Named keys, tmux style: Enter, Down, Space, C-c. */
  keys(...keys: string[]): void {
    tmux(['send-keys', '-t', this.name, ...keys]);
  }

  type(text: string): void {
    tmux(['send-keys', '-t', this.name, '-l', text]);
  }

  /** Waits for the prompt (its "? message" line), then answers it with `keys`. */
  async answer(prompt: RegExp, ...keys: string[]): Promise<string> {
    const shown = await this.waitFor(new RegExp(`\\? ${prompt.source}`));
    for (const k of keys) if (k.startsWith('text:')) this.type(k.slice(5));
    else this.keys(k);
    return shown;
  }

  async exitCode(timeoutMs = 180_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.exitFile)) {
      if (Date.now() > deadline) throw new Error(`the command did not finish; the terminal shows:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return Number(readFileSync(this.exitFile, 'utf8').trim());
  }

  close(): void {
    spawnSync('tmux', ['-u', '-L', SERVER, 'kill-session', '-t', this.name], { env: TMUX_ENV });
  }
}
