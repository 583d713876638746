import type { Rolldown } from 'vite';

type CodeSplittingNameFunction = Rolldown.CodeSplittingNameFunction;
type ChunkingContext = Rolldown.ChunkingContext;

/** Name of the chunk the sidebar loads first: the entry's own. */
export const FIRST_LOAD_CHUNK = 'index';

/**
 * Keeps everything the entry imports statically in one chunk, index.js. Without it Rolldown gives the code
 * that the entry and two or more lazy chunks share (React, Garden, zod, once the note and Modify steps are
 * lazy beside the queue) chunks of its own: the same code in four files, which gzip about 2 kB larger
 * than in one, and cost the first load as many requests. What only a lazy chunk uses stays lazy.
 *
 * `lazyOnly`: modules the entry reaches only through a barrel's re-exports (`@cheqpoint/shared`'s index)
 * and never uses, while a lazy chunk does: "statically imported" would put them on the first load.
 */
export function firstLoadChunk(lazyOnly: readonly RegExp[] = []): CodeSplittingNameFunction {
  let firstLoad: Set<string> | null = null;
  return (moduleId, ctx) => {
    firstLoad ??= staticallyImported(moduleId, ctx);
    if (lazyOnly.some((pattern) => pattern.test(moduleId))) return null;
    return firstLoad.has(moduleId) ? FIRST_LOAD_CHUNK : null;
  };
}

/** The entry (found from any module through its importers) and every module it imports statically. */
function staticallyImported(anyModule: string, ctx: ChunkingContext): Set<string> {
  const seen = new Set<string>();
  const findEntry = (id: string): string | null => {
    const info = ctx.getModuleInfo(id);
    if (!info || seen.has(id)) return null;
    seen.add(id);
    if (info.isEntry) return id;
    for (const importer of [...info.importers, ...info.dynamicImporters]) {
      const entry = findEntry(importer);
      if (entry) return entry;
    }
    return null;
  };
  const entry = findEntry(anyModule);
  const reached = new Set<string>();
  const stack = entry ? [entry] : [];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (reached.has(id)) continue;
    reached.add(id);
    stack.push(...(ctx.getModuleInfo(id)?.importedIds ?? []));
  }
  return reached;
}
