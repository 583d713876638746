import { useEffect, useReducer } from 'react';

/** A part of the app in its own chunk, fetched once: what it exports, once it has arrived. */
export interface ILazyPart<T> {
  /** Starts the fetch (once; again after a failed one) and resolves when it has arrived. */
  preload: () => Promise<T>;
  /** What the chunk exports, or undefined while it has not arrived. */
  current: () => T | undefined;
}

/** Wraps a dynamic `import()` so it runs once and its result can be read synchronously afterwards. */
export function lazyPart<T>(load: () => Promise<T>): ILazyPart<T> {
  let value: T | undefined;
  let pending: Promise<T> | null = null;
  return {
    preload: () =>
      (pending ??= load().then(
        (loaded) => (value = loaded),
        (err: unknown) => {
          pending = null; // a chunk that failed to arrive (offline) is asked for again next time
          throw err;
        },
      )),
    current: () => value,
  };
}

/**
 * A lazy part for a component: fetched in the background when the component mounts (so it is there by the
 * time the agent clicks), then re-rendered with it. Unlike React.lazy, a part that has arrived renders at
 * once, without a Suspense fallback in between: the step the agent opened appears, and takes focus, in the
 * same render as the click.
 */
export function useLazyPart<T>(part: ILazyPart<T>): T | undefined {
  const [, arrived] = useReducer((n: number) => n + 1, 0);
  const value = part.current();
  useEffect(() => {
    if (value !== undefined) return;
    let isMounted = true;
    part.preload().then(
      () => isMounted && arrived(),
      () => undefined, // offline: the step stays closed; the next card (or click) asks again
    );
    return () => {
      isMounted = false;
    };
  }, [part, value]);
  return value;
}
