import { useCallback, useEffect, useRef, useState } from 'react';

/** Where a copy stands: not tried, on the clipboard, or refused (the text is offered to copy by hand). */
export type CopyState = 'idle' | 'copied' | 'refused';

/** How long "Copied" stays beside the button. */
const COPIED_MS = 3000;

/**
 * Copies text to the clipboard. Zendesk runs the app in an iframe, where the browser may refuse the
 * clipboard (no `clipboard-write` permission, or no `navigator.clipboard` off https): then the state is
 * `refused` and the caller shows the text selected in a field to copy by hand.
 */
export function useCopy(text: string): { state: CopyState; copy: () => Promise<void> } {
  const [state, setState] = useState<CopyState>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = useCallback(async () => {
    clearTimeout(timer.current);
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      setState('copied');
      timer.current = setTimeout(() => setState((now) => (now === 'copied' ? 'idle' : now)), COPIED_MS);
    } catch {
      setState('refused');
    }
  }, [text]);
  return { state, copy };
}
