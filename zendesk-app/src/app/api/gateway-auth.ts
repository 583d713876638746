/** The secure setting is never read by the app: Zendesk's proxy substitutes it server-side [1]. */
export const AGENT_KEY_PLACEHOLDER = '{{setting.agentKey}}';

/**
 * The Zendesk-verified session the gateway put in the page when it served it for a signed URL (see
 * README "Verified approvers"); null when the app is served by Zendesk or without one. Sent as a
 * header with every call, never in a URL.
 */
export function pageSession(doc: Document | undefined = globalThis.document): string | null {
  const value = doc?.querySelector('meta[name="cheqpoint-session"]')?.getAttribute('content');
  return value && /^v1\.[\w-]+\.[\w-]+$/.test(value) ? value : null;
}

/** The headers of every gateway call: the agent key placeholder and, with verified approvers, the session. */
export function gatewayHeaders(session: string | null): Record<string, string> {
  return {
    'x-api-key': AGENT_KEY_PLACEHOLDER,
    accept: 'application/json',
    ...(session ? { 'x-cheqpoint-session': session } : {}),
  };
}
