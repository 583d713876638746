/**
 * `lodash.memoize` for Garden's theming (see lodash-get.ts): caches `func`'s result by the first argument,
 * or by `resolver(...args)`, in a Map exposed as `.cache` as lodash does.
 */
export default function memoize<F extends (...args: never[]) => unknown>(
  func: F,
  resolver?: (...args: Parameters<F>) => unknown,
): F & { cache: Map<unknown, ReturnType<F>> } {
  const cache = new Map<unknown, ReturnType<F>>();
  const memoized = function (this: unknown, ...args: Parameters<F>) {
    const key = resolver ? resolver.apply(this, args) : args[0];
    if (cache.has(key)) return cache.get(key);
    const result = func.apply(this, args) as ReturnType<F>;
    cache.set(key, result);
    return result;
  } as F & { cache: Map<unknown, ReturnType<F>> };
  memoized.cache = cache;
  return memoized;
}
