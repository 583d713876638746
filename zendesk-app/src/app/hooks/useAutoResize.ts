import { useEffect, type RefObject } from 'react';
import { useClient } from './useClient';

/** Keeps the sidebar iframe as tall as its content (`client.invoke('resize')`), for sidebar locations only. */
export function useAutoResize(ref: RefObject<HTMLElement | null>, isEnabled = true) {
  const { client } = useClient();
  useEffect(() => {
    const element = ref.current;
    if (!element || !isEnabled || typeof ResizeObserver === 'undefined') return;
    let lastHeight = -1;
    let frame = 0;
    const report = () => {
      frame = 0;
      const height = Math.ceil(element.getBoundingClientRect().height);
      if (height === lastHeight) return;
      lastHeight = height;
      void client.invoke('resize', { width: '100%', height: `${height}px` }).catch(() => undefined);
    };
    const observer = new ResizeObserver(() => {
      if (!frame) frame = requestAnimationFrame(report);
    });
    observer.observe(element);
    report();
    return () => {
      observer.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [client, ref, isEnabled]);
}
