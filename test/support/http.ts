/** Small fetch helpers for API tests. */
export type JsonResponse = { status: number; headers: Headers; body: any; text: string };

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Sample payload 1 of the integration guide, verbatim. */
export const SAMPLE_1 = {
  action: 'cancel_subscription',
  summary: "AI Agent requesting cancellation for 'Premium' plan",
  details: { ticket_id: '9921', subscription_id: 'sub_5521', churn_reason: 'Price too high' },
  justification: 'User explicitly asked to cancel after being offered a discount.',
};

/** Sample payload 2 of the integration guide, verbatim. */
export const SAMPLE_2 = {
  action: 'cancel_subscription',
  summary: "AI Agent requesting cancellation for 'Premium' plan",
  details: { ticket_id: '9921', subscription_id: 'sub_5521' },
  callbackUrl: 'https://your-backend.example.com/cheqpoint/callback',
};

let counter = 0;
/** A valid request with unique details (never deduplicated). */
export const uniqueRequest = (extra: Record<string, unknown> = {}) => ({
  action: 'refund',
  summary: 'Refund order',
  details: { ticket_id: '100', order: `o-${Date.now()}-${counter++}`, amount: 25 },
  ...extra,
});

export const agent = { id: '42', name: 'Ada Agent', email: 'ada@example.com' };
