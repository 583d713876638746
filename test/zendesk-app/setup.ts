import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';
import { cardParts } from '../../zendesk-app/src/app/components/approval-card/card-parts';
import { loadLocale } from '../../zendesk-app/src/app/lib/i18n';

// [1] jsdom lacks these; Garden's Textarea autosize and the sidebar's auto-resize use them
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;

afterEach(() => cleanup());

// German loads on demand in the app (ClientProvider awaits it); the tests render German synchronously
await loadLocale('de');

// findBy*/waitFor wait up to 5 s (testing-library's default is 1 s): the app project runs beside the server
// and browser projects on two cores, where a re-render after a fetch can take longer than a second.
configure({ asyncUtilTimeout: 5_000 });

window.matchMedia ??= ((query: string) => ({
  matches: false,
  media: query,
  onchange: null,
  addListener: () => {},
  removeListener: () => {},
  addEventListener: () => {},
  removeEventListener: () => {},
  dispatchEvent: () => false,
})) as unknown as typeof window.matchMedia;

// The note, Modify and the other card parts are a lazy chunk the app fetches as a card opens, well before a
// click; the tests click at once, so it is fetched before them (test/browser checks it loads in the package)
await cardParts.preload();

// Likewise the nav bar's tabs and queue (two lazy chunks fetched side by side): the queue tests look for
// its rows within findBy's wait, which the first transform of those chunks alone could take on two cores
// (imported here, after matchMedia above exists: Garden reads it as those modules load)
await (await import('../../zendesk-app/src/app/locations/Queue')).preloadNavBar();
