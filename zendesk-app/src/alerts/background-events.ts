/** The gateway's app notification (notify-app, server/src/zendesk/effect-requests.ts): `{ ticketId, approvalId, change }`. */
export const CHANGED_NOTIFICATION = 'api_notification.cheqpoint_changed';
