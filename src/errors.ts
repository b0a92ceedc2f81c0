/**
 * The error taxonomy. Every failure a user can meet is one of these; `main.ts` is the single boundary that
 * turns them into a message and an exit code. Library and command code throws, it never exits.
 *
 * Each message says what failed; `hint` says what to do next (a flag, a command, a file to fix).
 */

/** Exit codes, documented in the README. Stable: scripts and CI branch on them. */
export const ExitCode = {
  ok: 0,
  /** A bug in dynamoctl: anything thrown that is not a DynamoctlError. */
  internal: 1,
  /** Bad input: flags, values files, names. Nothing was changed in the cluster. */
  user: 2,
  /** The cluster could not be reached, refused a request, or did not become ready in time. */
  cluster: 3,
  /** A helm command failed. */
  helm: 4,
  /** The install would conflict with an existing Dynamo operator, or a blocking check failed. */
  conflict: 5,
  /** The user interrupted (Ctrl-C) or declined a confirmation. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  /** What to do about it: the next command or flag. */
  hint?: string | undefined;
  cause?: unknown;
}

/** Base of every expected failure. Subclasses only fix the exit code and the label. */
export abstract class DynamoctlError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.hint = details.hint;
  }
}

/** The user asked for something invalid. Reported without a stack trace. */
export class UserError extends DynamoctlError {
  override name = 'UserError';
  readonly exitCode = ExitCode.user;
}

/** The Kubernetes API failed us: unreachable, forbidden, timed out. `status` is the HTTP code if any. */
export class ClusterError extends DynamoctlError {
  override name = 'ClusterError';
  readonly exitCode = ExitCode.cluster;
  readonly status: number | undefined;

  constructor(message: string, details: ErrorDetails & { status?: number | undefined } = {}) {
    super(message, details);
    this.status = details.status;
  }
}

/** A helm invocation failed. `argv` never carries secrets: values travel in files. */
export class HelmError extends DynamoctlError {
  override name = 'HelmError';
  readonly exitCode = ExitCode.helm;
  readonly argv: readonly string[];
  readonly stderr: string;

  constructor(message: string, details: ErrorDetails & { argv: readonly string[]; stderr: string }) {
    super(message, details);
    this.argv = details.argv;
    this.stderr = details.stderr;
  }
}

/** The operator-conflict matrix or a blocking preflight check said no. */
export class ConflictError extends DynamoctlError {
  override name = 'ConflictError';
  readonly exitCode = ExitCode.conflict;
}

/** The user pressed Ctrl-C or answered "no". Already explained; nothing more to print. */
export class InterruptedError extends DynamoctlError {
  override name = 'InterruptedError';
  readonly exitCode = ExitCode.interrupted;
}

/** A failure that has already been reported in full (e.g. a failed check table); main only exits. */
export class ReportedError extends DynamoctlError {
  override name = 'ReportedError';
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

export interface ErrorReport {
  exitCode: ExitCode;
  /** Lines for stderr, without colour. Empty when the error was already reported. */
  lines: string[];
}

/**
 * Turns anything thrown into what the user sees. Pure, so the mapping is unit-tested.
 * Expected errors print one line (plus a hint); only `verbose` adds the stack and causes.
 * Unexpected errors are bugs: they always say so and how to report them.
 */
export function describeError(error: unknown, opts: { verbose: boolean; versionLine: string }): ErrorReport {
  if (error instanceof ReportedError) return { exitCode: error.exitCode, lines: [] };
  if (error instanceof DynamoctlError) {
    const lines = [`Error: ${error.message}`];
    if (error.hint) lines.push(`Hint: ${error.hint}`);
    if (opts.verbose) lines.push(...stackLines(error));
    return { exitCode: error.exitCode, lines };
  }
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`Internal error: ${message}`];
  lines.push(
    opts.verbose
      ? `This is a bug in dynamoctl (${opts.versionLine}); please report it with the output above.`
      : `This is a bug in dynamoctl (${opts.versionLine}); re-run with --verbose and report it with that output.`,
  );
  if (opts.verbose) lines.push(...stackLines(error));
  return { exitCode: ExitCode.internal, lines };
}

function stackLines(error: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (depth > 0) out.push(`Caused by: ${e.message}`);
    out.push(...(e.stack ?? '').split('\n').slice(1));
  }
  return out;
}
