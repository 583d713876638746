import { useCallback, useEffect, useState, type RefObject } from 'react';

/**
 * Where focus goes once this agent's decision settled a card (its buttons are gone): the next pending
 * card below it, else the nearest one above, else the decided card's own history line (nothing is left to
 * decide; the agent stays where they were). Applied after the render that shows the decision.
 */
export function focusAfterDecision(container: HTMLElement, approvalId: string): void {
  const cards = [...container.querySelectorAll<HTMLElement>('article[data-approval-id]')];
  const index = cards.findIndex((card) => card.dataset['approvalId'] === approvalId);
  if (index === -1) return;
  const isPending = (card: HTMLElement) => card.dataset['status'] === 'pending';
  const next = cards.slice(index + 1).find(isPending) ?? cards.slice(0, index).reverse().find(isPending);
  const decided = cards[index] as HTMLElement;
  (next ?? decided.querySelector<HTMLElement>('button[aria-expanded]') ?? decided).focus();
}

/** The sidebar's `onSettled` for its cards: moves focus as focusAfterDecision says, after the next render. */
export function useFocusAfterDecision(containerRef: RefObject<HTMLElement>) {
  const [settled, setSettled] = useState<string | null>(null);
  useEffect(() => {
    if (!settled || !containerRef.current) return;
    focusAfterDecision(containerRef.current, settled);
    setSettled(null);
  }, [settled, containerRef]);
  return useCallback((approvalId: string) => setSettled(approvalId), []);
}
