import { useEffect, useMemo, useState } from 'react';
import type { ApprovalView } from '../../api/approval-view';
import { buildModifiedDetails, diffDetails, fieldSpecs, initialValues, type FieldValue } from '../../lib/details-form';
import type { Translate } from '../../lib/i18n';
import { currencyInside } from '../../lib/money';
import { useClient } from '../../hooks/useClient';
import { DetailsDiff } from '../DetailsDiff';
import { ModifyForm } from '../ModifyForm';
import { Section } from '../Section';

/** What Modify would send: the changed details, and whether they may be sent (valid and changed). */
export interface IModifyDraft {
  details: Record<string, unknown>;
  canApprove: boolean;
}

export interface IModifyStepProps {
  approval: ApprovalView;
  /** Called with every edit's draft (and the first, unchanged one on opening). */
  onDraft: (draft: IModifyDraft) => void;
  /** Enter in a field: approve with the changes. */
  onSubmit: () => void;
  locale: string;
  t: Translate;
}

/**
 * The Modify step: the form (its own values, fresh each time it opens) and the diff against the request.
 * Lazily loaded with the note (README "Zendesk app"): the first card does not need Garden's forms.
 */
export function ModifyStep({ approval, onDraft, onSubmit, locale, t }: IModifyStepProps) {
  const specs = useMemo(() => fieldSpecs(approval.details, approval.limits), [approval.details, approval.limits]);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => initialValues(specs));
  const modified = useMemo(() => buildModifiedDetails(specs, values), [specs, values]);
  const changes = useMemo(() => diffDetails(approval.details, modified.details), [approval.details, modified.details]);
  const canApprove = Object.keys(modified.errors).length === 0 && changes.length > 0;
  const { defaultCurrency } = useClient();
  // money that names no currency of its own takes the details' currency, else the app's default
  const currency = useMemo(
    () => currencyInside(approval.details, defaultCurrency ?? null),
    [approval.details, defaultCurrency],
  );
  useEffect(() => onDraft({ details: modified.details, canApprove }), [modified.details, canApprove, onDraft]);
  return (
    <Section title={t('modify_title')}>
      <ModifyForm
        specs={specs}
        values={values}
        errors={modified.errors}
        onChange={(key, value) => setValues((prev) => ({ ...prev, [key]: value }))}
        onSubmit={onSubmit}
        currency={currency}
        locale={locale}
        t={t}
      />
      <Section title={t('changes_title')}>
        <DetailsDiff changes={changes} before={approval.details} after={modified.details} locale={locale} t={t} />
      </Section>
    </Section>
  );
}
