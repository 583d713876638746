import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from './receiver.js';

/**
 * A billing system on loopback that Cheqpoint's executions call (README "Late decisions"). It honours
 * `Idempotency-Key` as such APIs do: the first request with a key that it answers 2xx carries out the
 * action (counted in `executed`); a repeat of that key gets the same answer and does nothing again.
 * `answer(request, n)` picks the answer to the n-th request (default 200).
 */
export async function startFakeBilling(
  answer: (request: ReceivedRequest, n: number) => Reply = () => ({ status: 200 }),
) {
  /** Keys whose action was carried out, with the request that did it. */
  const executed = new Map<string, ReceivedRequest>();
  const receiver: Receiver = await startReceiver((request, n) => {
    const key = request.headers['idempotency-key'];
    if (typeof key === 'string' && executed.has(key)) return { status: 200, body: '{"replayed":true}' };
    const reply = answer(request, n);
    if ('status' in reply && reply.status >= 200 && reply.status < 300 && typeof key === 'string') {
      executed.set(key, request);
    }
    return reply;
  });
  return {
    receiver,
    /** `host:port` for CHEQPOINT_CALLBACK_ALLOWLIST. */
    hostPort: `127.0.0.1:${receiver.port}`,
    url: (path: string) => `http://127.0.0.1:${receiver.port}${path}`,
    executed,
    requests: receiver.requests,
    close: () => receiver.close(),
  };
}
export type FakeBilling = Awaited<ReturnType<typeof startFakeBilling>>;
