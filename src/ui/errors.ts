import { Chalk } from 'chalk';

/** Colours the first word of error lines ("Error:", "Hint:") when colour is on. */
export function formatErrorLines(lines: readonly string[], color: boolean): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  return lines
    .map((line) =>
      line
        .replace(/^(Error:|Internal error:)/, (m) => chalk.red.bold(m))
        .replace(/^Hint:/, (m) => chalk.cyan(m)),
    )
    .map((line) => `${line}\n`)
    .join('');
}
