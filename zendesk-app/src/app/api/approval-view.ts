import { ApprovalSchema, type Approval, type EditableFields } from '@cheqpoint/shared';
import type { FieldLimits, IFieldLimit } from '../lib/details-form';

/** The approval as the app shows it: the shared contract plus the form limits its policy implies. */
export type ApprovalView = Approval & {
  /** Per top-level detail: what Modify may change (absent: no bounded-edit rule, everything editable). */
  limits?: FieldLimits;
};

/**
 * Form limits from the policy's bounded edits. Paths not listed may not change [1]; a nested path such
 * as `customer.tier` leaves its top-level JSON field editable and the gateway checks the inner bound.
 */
export function limitsFromEditableFields(editable: EditableFields, details: Record<string, unknown>): FieldLimits {
  const limits: FieldLimits = {};
  for (const [key, original] of Object.entries(details)) {
    const rule = editable[key];
    if (rule) {
      const limit: IFieldLimit = {};
      if (rule.min !== undefined) limit.min = rule.min;
      if (rule.max !== undefined) limit.max = rule.max;
      if (typeof original === 'number' && rule.mayOnlyDecrease) limit.max = Math.min(limit.max ?? original, original);
      if (typeof original === 'number' && rule.mayOnlyIncrease) limit.min = Math.max(limit.min ?? original, original);
      if (rule.oneOf) limit.allowed = rule.oneOf;
      limits[key] = limit;
    } else if (Object.keys(editable).some((path) => path.startsWith(`${key}.`))) {
      limits[key] = {};
    } else {
      limits[key] = { isLocked: true }; // [1]
    }
  }
  return limits;
}

/** Parses a gateway approval with the shared schema (unknown fields are dropped) and derives form limits. */
export function toApprovalView(raw: unknown): ApprovalView {
  const approval: ApprovalView = ApprovalSchema.parse(raw);
  const editable = approval.policy?.editableFields;
  if (editable) approval.limits = limitsFromEditableFields(editable, approval.details);
  return approval;
}
