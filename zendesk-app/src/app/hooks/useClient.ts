import { useContext } from 'react';
import { ClientContext, type IClientContextValue } from '../contexts/ClientProvider';

/** The ZAF client and what Zendesk told the app; throws outside ClientProvider. */
export function useClient(): IClientContextValue {
  const value = useContext(ClientContext);
  if (!value) throw new Error('useClient must be used inside <ClientProvider>');
  return value;
}
