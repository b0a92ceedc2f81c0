/** Values trees: the few helpers every reader of values shares. */

export type Tree = Record<string, unknown>;

/** A map (not null, not a list). */
export const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `path`, or undefined where the path leaves the maps. */
export const getPath = (tree: unknown, path: readonly string[]): unknown => path.reduce<unknown>((node, key) => (isTree(node) ? node[key] : undefined), tree);
