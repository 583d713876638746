import { z } from 'zod';
import { ApprovalSchema } from './approval.schema.js';
import { ProblemSchema } from './problem.schema.js';

/*
 * In a module of its own, apart from problem.schema.ts: the Zendesk app's first load imports
 * ProblemSchema, and a bundler keeps every schema built in a module it includes.
 */

/** What a not-failed execution is, in the retry's `409` (`none`: the approval has no execution). */
export const EXECUTION_NOT_FAILED_STATES = ['pending', 'succeeded', 'skipped', 'none'] as const;

/**
 * The `409` of `POST /api/agent/approvals/{id}/execution/retry` (`urn:cheqpoint:problem:execution-not-failed`):
 * the execution is not failed (any more: a colleague's retry went first, or it succeeded meanwhile),
 * with the approval as it is now, so the caller shows the present state as it does after a `202`.
 */
export const ExecutionNotFailedProblemSchema = ProblemSchema.extend({
  executionState: z.enum(EXECUTION_NOT_FAILED_STATES),
  approval: ApprovalSchema,
});
export type ExecutionNotFailedProblem = z.infer<typeof ExecutionNotFailedProblemSchema>;
