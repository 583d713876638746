import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { IZafMetadata, IZafContext } from '../types/zaf';
import { App } from './App';
import { ClientProvider, type ColorScheme, type IRegistration } from './contexts/ClientProvider';
import { createTranslator, loadLocale, pickLocale } from './lib/i18n';

const root = createRoot(document.getElementById('root') as HTMLElement);
const params = new URLSearchParams(window.location.search);
const initialColorScheme: ColorScheme = params.get('colorScheme') === 'dark' ? 'dark' : 'light';
// before the app renders: the frame's canvas is the scheme's from the start (see ThemeRoot)
document.documentElement.style.colorScheme = initialColorScheme;
const client = window.ZAFClient?.init();

if (!client) {
  // [1] opened outside Zendesk (no origin/app_guid in the URL): say how to run it instead of failing silently
  // no top-level await here: it would make Rollup split the entry's code into a shared chunk
  const locale = pickLocale(navigator.language);
  void loadLocale(locale)
    .catch(() => undefined)
    .then(() =>
      root.render(
        <p style={{ fontFamily: 'system-ui, sans-serif', padding: 16 }}>
          {createTranslator(locale)('outside_zendesk')}
        </p>,
      ),
    );
} else {
  // [2] listen before rendering so the handshake answer cannot arrive before anyone waits for it
  const registered = new Promise<IRegistration>((resolve) => {
    client.on('app.registered', (data) => {
      const { context, metadata } = (data ?? {}) as { context?: IZafContext; metadata?: IZafMetadata };
      resolve({ context: context ?? { location: 'ticket_sidebar' }, metadata: metadata ?? { settings: {} } });
    });
  });
  root.render(
    <StrictMode>
      <ClientProvider client={client} registered={registered} initialColorScheme={initialColorScheme}>
        <App />
      </ClientProvider>
    </StrictMode>,
  );
}
