import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

/** zod 4's JSON Schema generator, which classic zod wires into every schema class. */
const GENERATOR = /[\\/]zod[\\/]v4[\\/]core[\\/](to-json-schema|json-schema-processors)\.js$/;

/** The names a module exports: `export const|function|class|let NAME` and `export { a as NAME }`. */
export function exportNames(code: string): string[] {
  const names = new Set<string>();
  for (const match of code.matchAll(/^export\s+(?:async\s+)?(?:const|let|var|function\*?|class)\s+([\w$]+)/gm)) {
    names.add(match[1] as string);
  }
  for (const match of code.matchAll(/^export\s*\{([^}]*)\}/gm)) {
    for (const part of (match[1] as string).split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name);
    }
  }
  return [...names];
}

/**
 * Leaves zod's JSON Schema generator out of the Zendesk app (about 5 kB of gzip on the sidebar's first
 * load). The app only parses gateway replies with the shared contract; it never turns a schema into JSON
 * Schema. Classic zod refers to the generator from every schema class (`toJSONSchema()`, `~standard`'s
 * jsonSchema, the `minLength`-style getters), so tree-shaking cannot drop it: the two modules are replaced
 * by functions that throw, under the same export names (read from the real modules, so a zod update that
 * adds one still builds). The server and the tests run the real zod; only the packaged app is built so.
 */
export function zodWithoutJsonSchema(): Plugin {
  return {
    name: 'cheqpoint-zod-without-json-schema',
    apply: 'build',
    enforce: 'pre',
    load(id) {
      if (!GENERATOR.test(id)) return null;
      const lines = exportNames(readFileSync(id, 'utf8')).map((name) =>
        // the factories are called when a schema's `~standard` is read: they hand back the throwing function
        /^create\w*Method$/.test(name)
          ? `export const ${name} = () => unavailable;`
          : `export const ${name} = unavailable;`,
      );
      return [
        'const unavailable = () => {',
        "  throw new Error('JSON Schema generation is not part of the Cheqpoint Zendesk app');",
        '};',
        ...lines,
      ].join('\n');
    },
  };
}
