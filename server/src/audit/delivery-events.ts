import type { Connection } from 'mongoose';
import type { DeliveryEvent } from '../callbacks/dispatcher.js';
import type { AuditActor } from './audit-event.model.js';
import { appendEvent } from './audit.service.js';

/** Records a callback delivery event in the approval's audit trail. */
export async function auditDeliveryEvent(conn: Connection, event: DeliveryEvent): Promise<void> {
  if (event.type === 'callback.redelivered') {
    const actor: AuditActor = event.actor.startsWith('key:')
      ? { type: 'agent', id: event.actor.slice(4) }
      : { type: 'admin', name: event.actor };
    await appendEvent(
      conn,
      event.accountId,
      event.approvalId,
      'redelivered',
      actor,
      { previousState: event.previousState },
      event.at,
    );
    return;
  }
  const dispatcher: AuditActor = { type: 'system', name: 'dispatcher' };
  const attempted = await appendEvent(
    conn,
    event.accountId,
    event.approvalId,
    'callback_attempted',
    dispatcher,
    {
      webhookId: event.webhookId,
      attempt: event.attempt,
      state: event.state,
      httpStatus: event.httpStatus,
      error: event.error,
      nextAttemptAt: event.nextAttemptAt?.toISOString() ?? null,
    },
    event.at,
  );
  if (event.state === 'delivered' || event.state === 'dead') {
    await appendEvent(
      conn,
      event.accountId,
      event.approvalId,
      event.state === 'delivered' ? 'callback_delivered' : 'callback_dead',
      dispatcher,
      { webhookId: event.webhookId, attempts: event.attempt },
      event.at,
      attempted.seq + 1,
    );
  }
}
