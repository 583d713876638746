import { useCallback, useEffect, useRef, type RefObject } from 'react';
import type { DecideFocusTarget, IDecideActionsHandle } from '../DecideActions';

/** Where focus goes after the next render: a decide control, or the card itself. */
export type CardFocusTarget = DecideFocusTarget | 'card';

/**
 * Moves keyboard focus after the render a step change causes (the element to focus is only there then):
 * returns `focusSoon(target)`, applied once after the next render.
 */
export function useCardFocus(cardRef: RefObject<HTMLElement>, actionsRef: RefObject<IDecideActionsHandle>) {
  const next = useRef<CardFocusTarget | null>(null);
  useEffect(() => {
    const target = next.current;
    if (!target) return;
    next.current = null;
    if (target === 'card') cardRef.current?.focus();
    else actionsRef.current?.focus(target);
  });
  return useCallback((target: CardFocusTarget) => {
    next.current = target;
  }, []);
}
