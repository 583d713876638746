// [1] a chunk of its own: gateway-client.ts is on the sidebar's first load, and only the nav bar's Insights
// tab reads these replies, so their schemas load with the first insights call
import { InsightsSchema, SuggestionsSchema, type Insights, type Suggestions } from '@cheqpoint/shared';
import { checkReply, type CheckedReply } from './reply-contract';

/** `GET /api/agent/insights` checked against the shared schema. */
export const readInsights = (reply: unknown): CheckedReply<Insights> => checkReply(InsightsSchema, reply);

/** `GET /api/agent/insights/suggestions` checked against the shared schema. */
export const readSuggestions = (reply: unknown): CheckedReply<Suggestions> => checkReply(SuggestionsSchema, reply);
