import type { FieldError } from '@cheqpoint/shared';

/** Why a gateway call failed, as the UI tells it. */
export const GATEWAY_ERROR_KINDS = ['not-configured', 'unreachable', 'unauthorized', 'invalid-reply', 'http'] as const;
export type GatewayErrorKind = (typeof GATEWAY_ERROR_KINDS)[number];

export class GatewayError extends Error {
  constructor(
    readonly kind: GatewayErrorKind,
    message: string,
    readonly status?: number,
    readonly fieldErrors: FieldError[] = [],
    /** The parsed reply body, when there was one (the 409 carries the current approval). */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}
