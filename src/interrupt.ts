/**
 * Ctrl-C and kill: commands register what must happen before the process ends (release the install lock);
 * main.ts runs these and exits 130. Everything else an interrupted install leaves is completed by the next
 * run, which the install record (phase `installing`) tells status about.
 */
const cleanups = new Set<() => Promise<void>>();

/** Registers `fn`; the returned function unregisters it (call it when the resource is released normally). */
export function onInterrupt(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export async function runInterruptCleanups(): Promise<void> {
  await Promise.allSettled([...cleanups].map((fn) => fn()));
  cleanups.clear();
}
