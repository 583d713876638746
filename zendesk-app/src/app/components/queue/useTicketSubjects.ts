import { useEffect, useRef, useState } from 'react';
import type { IZafClient } from '../../../types/zaf';

/** Zendesk's show_many takes at most 100 ids per call. */
const SHOW_MANY_LIMIT = 100;

interface IShowManyReply {
  tickets?: { id?: unknown; subject?: unknown }[];
}

/**
 * Subjects of the given tickets, read from Zendesk's own API as the signed-in agent (a relative URL, so no
 * proxy and no secret): one `show_many` call for the ids not asked for yet. A failure leaves just the numbers
 * and is not retried for those ids [1], so a missing permission does not turn into a request per refresh.
 */
export function useTicketSubjects(client: IZafClient, ticketIds: readonly (string | null)[]): Record<string, string> {
  const [subjects, setSubjects] = useState<Record<string, string>>({});
  const asked = useRef(new Set<string>());
  const wanted = [...new Set(ticketIds.filter((id): id is string => id !== null && /^\d+$/.test(id)))];
  const key = wanted.join(',');

  useEffect(() => {
    const missing = key
      .split(',')
      .filter((id) => id !== '' && !asked.current.has(id))
      .slice(0, SHOW_MANY_LIMIT);
    if (missing.length === 0) return;
    for (const id of missing) asked.current.add(id); // [1]
    client
      .request<IShowManyReply>({ url: `/api/v2/tickets/show_many.json?ids=${missing.join(',')}`, type: 'GET' })
      .then((reply) => {
        const found: Record<string, string> = {};
        for (const ticket of reply?.tickets ?? []) {
          if (typeof ticket.subject === 'string' && ticket.subject.trim() && ticket.id !== undefined) {
            found[String(ticket.id)] = ticket.subject;
          }
        }
        if (Object.keys(found).length > 0) setSubjects((prev) => ({ ...prev, ...found }));
      })
      .catch(() => undefined);
  }, [client, key]);

  return subjects;
}
