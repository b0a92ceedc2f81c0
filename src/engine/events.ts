/**
 * What the engine says while it works: typed events, never text on a terminal. `src/ui/` renders them (a
 * spinner per step, plain lines, or NDJSON); tests collect them. The engine imports nothing from `src/ui/`.
 */
import type { PlanView } from './describe.ts';

export type EngineEvent =
  | { type: 'step'; status: 'started'; title: string }
  | { type: 'step'; status: 'progress'; title: string; detail: string }
  | { type: 'step'; status: 'done'; title: string; seconds: number }
  | { type: 'step'; status: 'failed'; title: string; seconds: number; error: string }
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string }
  /** The plan, before the confirmation: what will be executed, exactly. */
  | { type: 'plan'; plan: PlanView };

export type Emit = (event: EngineEvent) => void;

/** Runs `fn` as a named step, reporting its start, its progress, and how it ended. */
export async function step<T>(emit: Emit, title: string, fn: (update: (detail: string) => void) => Promise<T>): Promise<T> {
  const start = performance.now();
  const seconds = (): number => Math.round((performance.now() - start) / 100) / 10;
  emit({ type: 'step', status: 'started', title });
  try {
    const result = await fn((detail) => emit({ type: 'step', status: 'progress', title, detail }));
    emit({ type: 'step', status: 'done', title, seconds: seconds() });
    return result;
  } catch (error) {
    emit({ type: 'step', status: 'failed', title, seconds: seconds(), error: (error as Error).message });
    throw error;
  }
}
