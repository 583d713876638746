import { forwardRef, type KeyboardEvent } from 'react';
import { Field, Textarea } from '@zendeskgarden/react-forms';
import type { Translate } from '../../lib/i18n';

export interface INoteFieldProps {
  /** The reject step's note (required) or the optional one under Approve and Modify. */
  isRequired: boolean;
  value: string;
  isInvalid: boolean;
  isDisabled: boolean;
  onChange: (note: string) => void;
  /** Escape in the note: the step closes (the card puts focus back on the button that opened it). */
  onEscape: () => void;
  t: Translate;
}

/** The decision note: a Garden textarea, in the lazily loaded decide steps (README "Zendesk app"). */
export const NoteField = forwardRef<HTMLTextAreaElement, INoteFieldProps>(function NoteField(props, ref) {
  const { isRequired, value, isInvalid, isDisabled, t } = props;
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    // Zendesk's own shortcuts (and a modal around the app) need not see the Escape that closed the note
    event.stopPropagation();
    props.onEscape();
  };
  return (
    <Field>
      <Field.Label>{isRequired ? t('note_label_reject') : t('note_label')}</Field.Label>
      <Field.Hint>{isRequired ? t('note_hint') : t('note_hint_optional')}</Field.Hint>
      <Textarea
        ref={ref}
        isCompact
        minRows={2}
        maxRows={6}
        value={value}
        maxLength={2000}
        disabled={isDisabled}
        validation={isInvalid ? 'error' : undefined}
        onChange={(event) => props.onChange(event.target.value)}
        onKeyDown={onKeyDown}
      />
      {isInvalid && (
        <Field.Message validation="error" validationLabel={t('validation_error')}>
          {t('note_required')}
        </Field.Message>
      )}
    </Field>
  );
});
