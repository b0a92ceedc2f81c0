import { describe, expect, it } from 'vitest';
import {
  ClusterError,
  ConflictError,
  ExitCode,
  HelmError,
  InterruptedError,
  ReportedError,
  UserError,
  describeError,
} from '../../src/errors.ts';

const opts = { verbose: false, versionLine: 'dynamoctl 9.9.9 (Dynamo platform 0.0.0)' };

describe('describeError maps the taxonomy to exit codes', () => {
  it.each([
    [new UserError('bad flag'), ExitCode.user, 2],
    [new ClusterError('unreachable', { status: 503 }), ExitCode.cluster, 3],
    [new HelmError('helm failed', { argv: ['upgrade'], stderr: 'boom' }), ExitCode.helm, 4],
    [new ConflictError('blocked'), ExitCode.conflict, 5],
    [new InterruptedError('cancelled'), ExitCode.interrupted, 130],
    [new Error('oops'), ExitCode.internal, 1],
    ['a thrown string', ExitCode.internal, 1],
  ])('%s → exit %i', (error, code, numeric) => {
    const report = describeError(error, opts);
    expect(report.exitCode).toBe(code);
    expect(report.exitCode).toBe(numeric);
  });
});

describe('describeError messages', () => {
  it('gives a user error one line and its hint, and no stack trace', () => {
    const report = describeError(new UserError('namespace "Foo" is not a valid name', { hint: 'use lower case' }), opts);
    expect(report.lines).toEqual(['Error: namespace "Foo" is not a valid name', 'Hint: use lower case']);
  });

  it('adds the stack and the cause chain only with --verbose', () => {
    const error = new ClusterError('cannot list nodes', { cause: new Error('ECONNREFUSED 127.0.0.1:6443') });
    const report = describeError(error, { ...opts, verbose: true });
    expect(report.lines[0]).toBe('Error: cannot list nodes');
    expect(report.lines).toContain('Caused by: ECONNREFUSED 127.0.0.1:6443');
    expect(report.lines.some((l) => l.trim().startsWith('at '))).toBe(true);
  });

  it('calls an unexpected error a bug and names the version to report', () => {
    const report = describeError(new TypeError('x is undefined'), opts);
    expect(report.lines[0]).toBe('Internal error: x is undefined');
    expect(report.lines[1]).toContain('dynamoctl 9.9.9');
    expect(report.lines.some((l) => l.trim().startsWith('at '))).toBe(false);
  });

  it('prints nothing for an error that was already reported', () => {
    expect(describeError(new ReportedError(ExitCode.conflict), opts)).toEqual({ exitCode: 5, lines: [] });
  });
});
