/**
 * Checks are data (linkerd's shape): an id, a category, a severity, a present-tense description, a hint,
 * and a `run` that reads the shared context and returns an outcome. Checks never write to the context.
 */
import type { CheckContext } from './context.ts';

/** fatal: later checks that need it are skipped; error: fails the run; warning: reported, passes. */
export type Severity = 'fatal' | 'error' | 'warning';

export type Outcome =
  | { status: 'pass'; detail?: string }
  | { status: 'fail'; message: string; hint?: string; details?: string[] }
  /** A finding that is only a warning whatever the check's severity (an image registry not reachable from here). */
  | { status: 'warn'; message: string; hint?: string; details?: string[] }
  | { status: 'skip'; reason: string };

export interface Check {
  /** Stable: scripts and -o json consumers key on it. */
  id: string;
  category: string;
  severity: Severity;
  /** What is true when the check passes ("the API server is reachable"). */
  description: string;
  /** Default next step when it fails. */
  hint: string;
  /** Ids of checks that must pass first (e.g. nothing talks to the cluster if it is unreachable). */
  requires?: string[];
  run(ctx: CheckContext): Promise<Outcome>;
}

export type ResultStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  category: string;
  severity: Severity;
  description: string;
  status: ResultStatus;
  message?: string;
  hint?: string;
  details?: string[];
  durationMs: number;
}
