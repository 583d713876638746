// [1] a chunk of its own: gateway-client.ts is on the sidebar's first load, and only the nav bar's Insights
// tab reads these replies, so their schemas (and this check) load with the first insights call
import { InsightsSchema, SuggestionsSchema, type Insights, type Suggestions } from '@cheqpoint/shared';
import { GatewayError } from './gateway-error';
import { checkReply, type IReplySchema } from './reply-contract';

function parseReply<T>(schema: IReplySchema<T>, what: string, reply: unknown): T {
  const checked = checkReply(schema, reply);
  if ('issue' in checked) {
    throw new GatewayError('invalid-reply', `Reply does not match the ${what} contract at ${checked.issue}`);
  }
  return checked.data;
}

/** `GET /api/agent/insights` parsed with the shared schema; a reply that breaks it is refused naming the field. */
export const parseInsights = (reply: unknown): Insights => parseReply(InsightsSchema, 'insights', reply);

/** `GET /api/agent/insights/suggestions` parsed the same way. */
export const parseSuggestions = (reply: unknown): Suggestions => parseReply(SuggestionsSchema, 'suggestions', reply);
