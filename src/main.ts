/**
 * The error boundary: runs the CLI and maps whatever it throws to a message and an exit code (see
 * errors.ts). Nothing else in dynamoctl decides exit codes or sets process.exitCode.
 */
import { CommanderError } from 'commander';
import { ExitCode, ReportedError, describeError, type ErrorReport } from './errors.ts';
import { buildProgram } from './cli/program.ts';
import { versionLine } from './version.ts';
import { runInterruptCleanups } from './interrupt.ts';

/** Runs dynamoctl with `argv` (node, script, ...args) and resolves to the exit code. */
export async function run(argv: readonly string[]): Promise<ExitCode> {
  try {
    const program = buildProgram();
    if (argv.length <= 2) {
      // on a terminal, no arguments means "guide me"; elsewhere, print the usage
      if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
        program.outputHelp();
        return ExitCode.ok;
      }
      argv = [...argv, 'wizard'];
    }
    await program.parseAsync(argv as string[]);
    return ExitCode.ok;
  } catch (error) {
    const report = describeError(fromCommander(error), { verbose: argv.includes('--verbose'), versionLine: versionLine() });
    if (report.lines.length) await printErrorReport(report, argv);
    return report.exitCode;
  }
}

/** commander has already printed its own usage errors; only the exit code is left to decide. */
function fromCommander(error: unknown): unknown {
  if (!(error instanceof CommanderError)) return error;
  return new ReportedError(error.exitCode === 0 ? ExitCode.ok : ExitCode.user);
}

async function printErrorReport(report: ErrorReport, argv: readonly string[]): Promise<void> {
  const { formatErrorLines } = await import('./ui/errors.ts');
  const color = !argv.includes('--no-color') && !process.env.NO_COLOR && process.stderr.isTTY === true;
  process.stderr.write(formatErrorLines(report.lines, color));
}

export async function main(): Promise<void> {
  // a reader that went away (dynamoctl values | head) ends the output, not with a stack trace
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(ExitCode.ok);
    });
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\ninterrupted (${signal}): cleaning up; re-run the same command to finish\n`);
      void runInterruptCleanups().finally(() => process.exit(ExitCode.interrupted));
    });
  }
  // Exit codes through process.exitCode, not process.exit(), so piped stdout is flushed completely.
  process.exitCode = await run(process.argv);
}
