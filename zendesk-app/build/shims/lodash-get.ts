/**
 * `lodash.get` for Garden's theming (README "Zendesk app", bundle size): the value at a dotted path such as
 * `palette.blue` or `variables.light.background.default`, `[0]` and `['key']` steps included, or the default
 * when it is undefined. The package carries its own copy of lodash's caches and string parser (1 kB of gzip
 * on the sidebar's first load) for what Garden asks of it.
 */
export default function get(object: unknown, path: string | readonly PropertyKey[], defaultValue?: unknown): unknown {
  if (object === null || object === undefined) return defaultValue;
  // like lodash, a key that exists as written wins over reading it as a path
  if (typeof path === 'string' && path in Object(object)) {
    const direct = (object as Record<string, unknown>)[path];
    return direct === undefined ? defaultValue : direct;
  }
  const keys = typeof path === 'string' ? toKeys(path) : path;
  if (keys.length === 0) return defaultValue;
  let value: unknown = object;
  for (const key of keys) {
    if (value === null || value === undefined) return defaultValue;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined ? defaultValue : value;
}

function toKeys(path: string): string[] {
  const keys: string[] = [];
  path.replace(/[^.[\]]+|\[(?:(['"])(.*?)\1|([^\]]*))\]/g, (whole, _quote, quoted?: string, bare?: string) => {
    keys.push(quoted ?? bare ?? whole);
    return whole;
  });
  return keys;
}
