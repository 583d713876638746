import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** The sidebar's first-load budget: JavaScript, gzip, in bytes (120 kB of 1,000 bytes). */
export const FIRST_LOAD_BUDGET_BYTES = 120_000;

/** Each alert location's (background, top bar) first-load budget: JavaScript, gzip, in bytes (25 kB). */
export const ALERT_ENTRY_BUDGET_BYTES = 25_000;

export interface IChunkSize {
  file: string;
  raw: number;
  /** gzip -9, about what a CDN serves. */
  gzip: number;
  /** Loaded with the entry (statically imported from index.js), not on demand. */
  isFirstLoad: boolean;
}

/** `import … from "./x.js"` and `import "./x.js"` in minified output: a static import of a sibling chunk. */
const STATIC_IMPORT = /(?:^|[;}\s])import\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([\w.-]+\.js)["']/g;
/** The chunks behind `import("./x.js")` and Vite's preload list. */
const DYNAMIC_IMPORT = /["']\.\/([\w.-]+\.js)["']/g;

/**
 * Every JavaScript file of a built package's assets/ folder with its size: the first load is the entry
 * (index.js, or another location's entry such as background.js) and what it imports statically; the rest
 * loads on demand (the queue's table, the card parts, German strings).
 */
export function chunkSizes(assetsDir: string, entry = 'index.js'): IChunkSize[] {
  const firstLoad = new Set<string>();
  const visit = (file: string) => {
    if (firstLoad.has(file)) return;
    firstLoad.add(file);
    for (const match of readFileSync(path.join(assetsDir, file), 'utf8').matchAll(STATIC_IMPORT)) {
      visit(match[1] as string);
    }
  };
  visit(entry);
  return readdirSync(assetsDir)
    .filter((file) => file.endsWith('.js'))
    .map((file) => {
      const bytes = readFileSync(path.join(assetsDir, file));
      return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, isFirstLoad: firstLoad.has(file) };
    });
}

/** The sibling chunks a chunk names by relative URL (static and dynamic imports, Vite's preload list). */
export function referencedChunks(assetsDir: string, file: string): string[] {
  const code = readFileSync(path.join(assetsDir, file), 'utf8');
  return [...new Set([...code.matchAll(DYNAMIC_IMPORT)].map((match) => match[1] as string))];
}

/** "118.6 kB": kB of 1,000 bytes, as the budget is counted. */
export const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
