import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { VisuallyHidden } from './visually-hidden';

export { VisuallyHidden };

type Announce = (message: string) => void;
const AnnounceContext = createContext<Announce>(() => undefined);

/** Says something through the app's one live region (a no-op outside LiveRegionProvider). */
export const useAnnounce = (): Announce => useContext(AnnounceContext);

/**
 * The app's single polite live region: cards announce decisions, conflicts and failures through it instead
 * of each rendering its own role=status (nested regions are read twice or not at all).
 */
export function LiveRegionProvider({ children, status }: { children: ReactNode; status?: string }) {
  const [message, setMessage] = useState({ text: '', count: 0 });
  /** The message count on screen: one announced before it rendered is joined, not dropped. */
  const shown = useRef(0);
  useEffect(() => {
    shown.current = message.count;
  }, [message.count]);
  const announce = useCallback<Announce>(
    (text) =>
      setMessage((prev) =>
        // [2] two cards decided by one refresh both say so: the second joins the first instead of replacing it
        prev.count > shown.current && prev.text
          ? { text: `${prev.text}; ${text}`, count: prev.count }
          : { text, count: prev.count + 1 },
      ),
    [],
  );
  const value = useMemo(() => announce, [announce]);
  return (
    <AnnounceContext.Provider value={value}>
      {children}
      <VisuallyHidden role="status" aria-live="polite" data-testid="live-region">
        {/* [1] the key re-mounts the text, so the same message said twice is read twice */}
        <span key={message.count}>{message.text || status}</span>
      </VisuallyHidden>
    </AnnounceContext.Provider>
  );
}
